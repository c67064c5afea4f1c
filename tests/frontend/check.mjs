// The blog frontend's own client on the graph: every query of src/graph/queries.rs, run through
// the official Neo4j JavaScript driver (neo4j-driver, pinned in package-lock.json) against the
// local Neo4j the Rust test loaded. It checks what a page receives and each query's plan.
//
//   node tests/frontend/check.mjs QUERIES.json PLANS.md
//
// QUERIES.json (written by tests/frontend.rs) lists, per query: its Cypher and parameters
// (integers as {"$int": n}), the columns it returns, the row count the Rust driver got, whether
// it looks a design up by a key, and the NaN gaps expected in each series column. The
// connection comes from NEO4J_URI, NEO4J_USER, NEO4J_PASSWORD, NEO4J_DATABASE (and, for a +s
// URI, NEO4J_CA_CERT). Prints one line per check; exits 1 on the first failed one. Writes the
// plans as a Markdown table to PLANS.md.

import fs from "node:fs";
import neo4j from "neo4j-driver";

const [queriesPath, plansPath] = process.argv.slice(2);
const spec = JSON.parse(fs.readFileSync(queriesPath, "utf8"));

let failures = 0;
function check(ok, what) {
  console.log(`${ok ? "ok  " : "FAIL"} ${what}`);
  if (!ok) failures += 1;
}

// Parameters as the driver must send them: integers as Cypher integers (a JS number is a float).
function params(p) {
  const out = {};
  for (const [k, v] of Object.entries(p)) {
    out[k] = v !== null && typeof v === "object" && "$int" in v ? neo4j.int(v.$int) : v;
  }
  return out;
}

function driver(options) {
  let uri = process.env.NEO4J_URI;
  const config = { ...options };
  if (process.env.NEO4J_CA_CERT && /\+s:\/\//.test(uri)) {
    // The JS driver takes a custom CA with a plain scheme and encryption on.
    uri = uri.replace("+s://", "://");
    config.encrypted = "ENCRYPTION_ON";
    config.trust = "TRUST_CUSTOM_CA_SIGNED_CERTIFICATES";
    config.trustedCertificates = [process.env.NEO4J_CA_CERT];
  }
  return neo4j.driver(
    uri,
    neo4j.auth.basic(process.env.NEO4J_USER ?? "neo4j", process.env.NEO4J_PASSWORD),
    config,
  );
}

const database = process.env.NEO4J_DATABASE || "neo4j";

// What a page can use as it is: JSON-able plain values (numbers, strings, booleans, null and
// lists of them). NaN is a number.
function plain(v) {
  if (v === null || ["number", "string", "boolean"].includes(typeof v)) return true;
  if (Array.isArray(v)) return v.every(plain);
  return false;
}

function operators(plan, out = []) {
  out.push(plan.operatorType.split("@")[0]);
  for (const child of plan.children ?? []) operators(child, out);
  return out;
}

const SCANS = ["AllNodesScan", "NodeByLabelScan", "NodeIndexScan", "UndirectedAllRelationshipsScan", "DirectedAllRelationshipsScan"];

const lossless = driver({});
const page = driver({ disableLosslessIntegers: true });
const planRows = [];
try {
  for (const q of spec.queries) {
    const p = params(q.params);

    // 1. The plan: a lookup by key never scans a label.
    const explained = await lossless.executeQuery(`EXPLAIN ${q.cypher}`, p, { database });
    const ops = operators(explained.summary.plan);
    const leaves = [];
    (function leafOps(plan) {
      if (!plan.children || plan.children.length === 0) leaves.push(plan.operatorType.split("@")[0]);
      for (const c of plan.children ?? []) leafOps(c);
    })(explained.summary.plan);
    planRows.push(`| \`${q.name}\` | ${q.lookup ? "by key" : "whole label"} | ${leaves.join(", ")} | ${ops.join(" ← ")} |`);
    if (q.lookup) {
      const scans = ops.filter((o) => SCANS.includes(o));
      check(scans.length === 0, `${q.name}: looks up by key without a scan (${leaves.join(", ")})`);
    }

    // 2. Default driver settings: which columns arrive as Integer objects.
    const raw = await lossless.executeQuery(q.cypher, p, { database });
    const integers = new Set();
    for (const r of raw.records) {
      for (const key of r.keys) {
        const v = r.get(key);
        if (neo4j.isInt(v) || (Array.isArray(v) && v.some((x) => neo4j.isInt(x)))) integers.add(key);
      }
    }

    // 3. With disableLosslessIntegers, what a page receives is plain values only.
    const res = await page.executeQuery(q.cypher, p, { database });
    const rows = res.records.map((r) => r.toObject());
    check(rows.length === q.rows, `${q.name}: ${rows.length} rows, as the Rust driver got (${q.rows})`);
    check(rows.length > 0 || q.rows === 0, `${q.name}: answers on the loaded corpus`);
    const keys = res.records[0]?.keys ?? q.columns;
    check(JSON.stringify(keys) === JSON.stringify(q.columns), `${q.name}: columns ${keys.join(", ")}`);
    const bad = rows.flatMap((r) => Object.entries(r).filter(([, v]) => !plain(v)).map(([k]) => k));
    check(bad.length === 0, `${q.name}: plain values only (numbers, strings, booleans, null, lists)${bad.length ? `; not plain: ${[...new Set(bad)]}` : ""}`);
    if (integers.size > 0) {
      console.log(`note ${q.name}: without disableLosslessIntegers, ${[...integers].join(", ")} arrive as neo4j Integer objects`);
    }

    // 4. The series: lists of numbers as long as the time list, NaN where the file had a gap,
    //    null for a quantity the file lacks.
    if (q.series) {
      const r = rows[0];
      check(Array.isArray(r.time_s) && r.time_s.every((t) => typeof t === "number" && Number.isFinite(t)), `${q.name}: time_s is a list of finite numbers (${r.time_s?.length})`);
      for (const [column, gaps] of Object.entries(q.series)) {
        const v = r[column];
        if (gaps === null) {
          check(v === null, `${q.name}: ${column} is null (not in the file)`);
          continue;
        }
        const nans = Array.isArray(v) ? v.filter((x) => Number.isNaN(x)).length : -1;
        check(Array.isArray(v) && v.length === r.time_s.length && v.every((x) => typeof x === "number"), `${q.name}: ${column} is a list of ${r.time_s.length} numbers`);
        check(nans === gaps, `${q.name}: ${column} has ${nans} NaN gaps, as written (${gaps})`);
      }
    }

    // 5. processed_at: an ISO 8601 UTC string that parses as a Date, whose text order is its
    //    time order (so ORDER BY and range filters on it work in Cypher as on time).
    if (q.columns.includes("processed_at")) {
      const stamps = rows.map((r) => r.processed_at);
      const iso = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
      check(stamps.every((s) => typeof s === "string" && iso.test(s) && !Number.isNaN(Date.parse(s))), `${q.name}: processed_at is ISO 8601 UTC text a Date parses`);
      const byText = [...stamps].sort();
      const byTime = [...stamps].sort((a, b) => Date.parse(a) - Date.parse(b));
      check(JSON.stringify(byText) === JSON.stringify(byTime), `${q.name}: processed_at sorts as text in time order`);
      const since = await page.executeQuery(
        "MATCH (d:Design) WHERE datetime(d.processed_at) >= datetime($since) RETURN count(d) AS n",
        { since: byTime[0] },
        { database },
      );
      check(since.records[0].get("n") >= rows.length, `${q.name}: Cypher filters processed_at by time (datetime())`);
    }
  }
  // A page that passes SKIP/LIMIT as plain JS numbers sends floats, which Neo4j refuses: the
  // README tells the frontend to send neo4j.int(n).
  const list = spec.queries.find((q) => q.name === "list_designs");
  if (list) {
    let refused = false;
    try {
      await page.executeQuery(list.cypher, { skip: 0, limit: 10 }, { database });
    } catch (e) {
      refused = /integer|SKIP|LIMIT/i.test(String(e.message));
    }
    check(refused, "list_designs: SKIP/LIMIT as JS numbers (floats) are refused; neo4j.int(n) is needed");
  }
} finally {
  await lossless.close();
  await page.close();
}

if (plansPath) {
  fs.writeFileSync(
    plansPath,
    ["| query | lookup | where the plan starts | operators (root first) |", "|---|---|---|---|", ...planRows, ""].join("\n"),
  );
}
console.log(`${failures === 0 ? "all checks passed" : `${failures} check(s) failed`}`);
process.exit(failures === 0 ? 0 : 1);
