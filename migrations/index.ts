// Written by `npm run migration:generate`: every migration, in the order it was generated.
import { Catalogue1795318698080 } from './1795318698080-Catalogue.js';
import { DidMetaGinIndex1795318698081 } from './1795318698081-DidMetaGinIndex.js';

export const MIGRATIONS: Function[] = [Catalogue1795318698080, DidMetaGinIndex1795318698081];
