// `npm run migrate`: applies pending migrations to DATABASE_URL (npm start does this itself on start-up).
import { migrateUp } from '../src/db/migrate.ts';
import { createLogger } from '../src/observability/logger.ts';

const url = process.env.DATABASE_URL;
if (!url) {
  console.error('DATABASE_URL is required');
  process.exit(2);
}
const applied = await migrateUp(url, createLogger({ name: 'migrate', level: 'info' }));
console.log(applied.length > 0 ? `applied: ${applied.join(', ')}` : 'up to date');
