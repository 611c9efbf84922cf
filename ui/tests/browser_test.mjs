// Drives Debian's chromium headless (playwright-core, no browser download) against a running
// larder serving the built UI: the UI loads, lists the seeded projects, a feature view page
// shows its features and entities; no console errors. Screenshots go to the folder given.
// Usage: node browser_test.mjs <base-url> <screenshot-dir> <project> <feature-view> <feature>
import { chromium } from "playwright-core";
import fs from "node:fs";
import path from "node:path";

const [base, shots, project, view, feature] = process.argv.slice(2);
if (!base || !shots || !project || !view || !feature) {
  console.error("usage: browser_test.mjs <base-url> <screenshot-dir> <project> <view> <feature>");
  process.exit(2);
}
fs.mkdirSync(shots, { recursive: true });
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
const browser = await chromium.launch({
  executablePath,
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
});
const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
const problems = [];
page.on("console", (message) => {
  if (message.type() === "error") problems.push(`console error: ${message.text()}`);
});
page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
page.on("response", (response) => {
  const url = response.url();
  if (url.includes("/api/v1/") && response.status() >= 500) {
    problems.push(`${response.status()} from ${url}`);
  }
});

let failed = false;
async function step(name, body) {
  try {
    await body();
    console.log(`ok   ${name}`);
  } catch (error) {
    failed = true;
    console.log(`FAIL ${name}: ${error.message}`);
  }
  await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
}

await step("01-home-lists-projects", async () => {
  await page.goto(`${base}/`, { waitUntil: "networkidle" });
  // Feast's UI shows the project's display name (Python's title()).
  const title = project.replace(/_/g, " ").replace(/\b\w/g, (c) => c.toUpperCase());
  await page.getByText(title, { exact: false }).first().waitFor({ timeout: 20000 });
});

await step("02-feature-view-page", async () => {
  await page.goto(`${base}/p/${project}/feature-view/${view}`, { waitUntil: "networkidle" });
  await page.getByText(view).first().waitFor({ timeout: 20000 });
  await page.getByText(feature).first().waitFor({ timeout: 20000 });
});

await step("03-entities-list", async () => {
  await page.goto(`${base}/p/${project}/entity`, { waitUntil: "networkidle" });
  await page.getByText("driver").first().waitFor({ timeout: 20000 });
});

await step("04-lineage", async () => {
  await page.goto(`${base}/p/${project}/lineage`, { waitUntil: "networkidle" });
  await page.locator(".react-flow").first().waitFor({ timeout: 20000 });
});

await browser.close();
for (const problem of problems) console.log(`problem: ${problem}`);
if (failed || problems.length > 0) process.exit(1);
console.log("browser test passed");
