// node --import ./test/events/support/ts-register.mjs apps/<app>/src/main.ts
import { register } from 'node:module';

register('./ts-hooks.mjs', import.meta.url);
