// Used by tests/test_orm_targets.py for `prisma migrate diff` only: Prisma 6.19's CLI (npm alias
// prisma6) runs its wasm schema engine through the pg driver adapter, so no native engine is
// downloaded. Prisma 7 (validate, format) reads the prisma.config.ts that gen writes.
import { defineConfig } from "prisma6/config";
import { PrismaPg } from "@prisma/adapter-pg";

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  adapter: async () => new PrismaPg({ connectionString: process.env.DATABASE_URL }),
  schema: "prisma6/schema.prisma",
});
