// Prisma CLI settings used by tests/test_orm_targets.py: the wasm schema engine shipped inside the
// prisma package (engine "js" + the pg driver adapter), so no native engine is ever downloaded.
import { defineConfig } from "prisma/config";
import { PrismaPg } from "@prisma/adapter-pg";

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  adapter: async () => new PrismaPg({ connectionString: process.env.DATABASE_URL }),
  schema: "prisma/schema.prisma",
});
