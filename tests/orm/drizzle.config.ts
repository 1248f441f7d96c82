// drizzle-kit settings used by tests/test_orm_targets.py (copied beside a generated schema.ts).
import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "postgresql",
  schema: "./drizzle/schema.ts",
  out: "./drizzle-migrations",
});
