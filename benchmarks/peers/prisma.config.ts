// Prisma CLI settings for benchmarks/run.py: the wasm schema engine shipped inside the prisma
// package (engine "js"), with a stand-in driver adapter: `migrate diff --from-empty
// --to-schema-datamodel` needs no database, only the adapter's startup query.
import { defineConfig } from "prisma/config";

const result = { columnNames: [], columnTypes: [], rows: [] };
const connection = {
  provider: "postgres", adapterName: "@prisma/adapter-pg",
  queryRaw: async () => result, executeRaw: async () => 0, executeScript: async () => {},
  startTransaction: async () => { throw new Error("no database in the benchmark"); },
  getConnectionInfo: () => ({ schemaName: "public", supportsRelationJoins: true }),
  dispose: async () => {},
};

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  adapter: async () => ({ ...connection, connect: async () => connection, connectToShadowDb: async () => connection }),
});
