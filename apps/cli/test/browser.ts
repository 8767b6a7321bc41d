import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import pixelmatch from "pixelmatch";
import { chromium, type Browser, type Page } from "playwright-core";
import { PNG } from "pngjs";

/** Debian's chromium (`apt-get install chromium`); nothing downloads a browser. KPU_CHROMIUM overrides the path. */
export const CHROMIUM = process.env.KPU_CHROMIUM ?? "/usr/bin/chromium";
export const HAVE_CHROMIUM = existsSync(CHROMIUM);

/** In CI a missing browser is a failure, never a skip. */
export function requireBrowserInCi(): void {
  if (!HAVE_CHROMIUM && process.env.CI === "true") {
    throw new Error(`chromium is missing at ${CHROMIUM}: CI runs the browser tests (.ci/run installs it with apt-get install chromium)`);
  }
  if (!HAVE_CHROMIUM) console.warn(`skipping the browser tests: no chromium at ${CHROMIUM} (apt-get install chromium, or set KPU_CHROMIUM)`);
}

export function launch(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--font-render-hinting=none", "--disable-gpu", "--force-color-profile=srgb"] });
}

/** A page that records every console error, page error and request that is not the file itself. */
export async function openReport(browser: Browser, file: string): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1000, height: 800 }, deviceScaleFactor: 1 });
  const problems: string[] = [];
  const url = `file://${file}`;
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`console error: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  await page.route("**/*", (route) => {
    if (route.request().url() === url) return route.continue();
    problems.push(`network request: ${route.request().url()}`);
    return route.abort();
  });
  await page.goto(url);
  await page.waitForSelector("body[data-ready=true]", { timeout: 15_000 });
  return { page, problems };
}

/** Text of a chart's tooltip after moving the mouse to (x, y) in the viewport. */
export async function hoverText(page: Page, chart: string, x: number, y: number): Promise<string> {
  await page.mouse.move(x - 3, y - 3);
  await page.mouse.move(x, y);
  const tip = page.locator(`#${chart} .kpu-tooltip`).filter({ visible: true }).first();
  await tip.waitFor({ state: "visible", timeout: 5_000 });
  return (await tip.innerText()).replace(/\s+/g, " ");
}

/** Averages 4x4 pixel blocks: text rendered with other fonts or hinting moves a few pixels, not whole blocks. */
function blur(png: PNG): PNG {
  const w = Math.floor(png.width / 4), h = Math.floor(png.height / 4);
  const out = new PNG({ width: w, height: h });
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let c = 0; c < 4; c++) {
        let s = 0;
        for (let dy = 0; dy < 4; dy++) for (let dx = 0; dx < 4; dx++) s += png.data[((y * 4 + dy) * png.width + x * 4 + dx) * 4 + c]!;
        out.data[(y * w + x) * 4 + c] = s / 16;
      }
    }
  }
  return out;
}

/**
 * Compares a screenshot with the stored one: both blurred over 4x4 blocks, then pixelmatch; at most `tolerance` of
 * the blocks may differ. A missing stored image is written (and is a failure in CI); KPU_UPDATE_SCREENSHOTS=1 rewrites.
 */
export function compareScreenshot(actual: Buffer, storedPath: string, tolerance = 0.03): { ratio: number; written: boolean } {
  if (!existsSync(storedPath) || process.env.KPU_UPDATE_SCREENSHOTS === "1") {
    if (process.env.CI === "true" && !existsSync(storedPath)) throw new Error(`no stored screenshot ${storedPath}: run the browser tests locally and commit it`);
    mkdirSync(dirname(storedPath), { recursive: true });
    writeFileSync(storedPath, actual);
    return { ratio: 0, written: true };
  }
  const a = PNG.sync.read(actual), b = PNG.sync.read(readFileSync(storedPath));
  if (a.width !== b.width || Math.abs(a.height - b.height) > 8) throw new Error(`screenshot is ${a.width}x${a.height}, stored ${storedPath} is ${b.width}x${b.height}`);
  const h = Math.min(a.height, b.height);
  const crop = (p: PNG) => {
    const c = new PNG({ width: p.width, height: h });
    p.data.copy(c.data, 0, 0, p.width * h * 4);
    return blur(c);
  };
  const x = crop(a), y = crop(b);
  const diff = pixelmatch(x.data, y.data, undefined, x.width, x.height, { threshold: 0.15 });
  const ratio = diff / (x.width * x.height);
  if (ratio > tolerance) writeFileSync(storedPath.replace(/\.png$/, ".actual.png"), actual);
  return { ratio, written: false };
}
