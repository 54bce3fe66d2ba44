// rx's own version, read from package.json once.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
export const RX_VERSION = (require('../../package.json') as { version: string }).version;
