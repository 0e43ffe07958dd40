import { freshPostgres } from './backends.js';
import { runAdapterConformance } from './conformance.js';

runAdapterConformance('postgres', () => freshPostgres('storage'));
