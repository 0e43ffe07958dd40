export { openDexSource, type DexSource } from './source.js';
export { readDex, DEX_SCHEMA, type DexData } from './read.js';
export { parseDexTime } from './values.js';
export { importDex, type ImportReport, type ImportDeps } from './import.js';
export { connectorsToPaste, formatReport } from './report.js';
