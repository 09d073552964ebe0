import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'tarn:public';

/** Routes that answer without a token: ping, health, the login routes. */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC, true);
