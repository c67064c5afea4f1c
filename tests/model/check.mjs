// Checks every GLB that `ork render` wrote into DIR with tools nobody here wrote:
//
// 1. The Khronos glTF Validator (npm gltf-validator, `validateBytes`) must report 0 errors and
//    0 warnings; the counts of infos and hints are printed. External resources are refused, so
//    a GLB that is not self-contained fails with the validator's own IO error.
// 2. A real browser. Headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core,
//    with a fresh profile) opens a page served from 127.0.0.1 that loads the GLB with three.js's
//    GLTFLoader. The model is turned so the nose points left like the profile's: the GLB stands
//    nose up along +Y (base at y = 0) with glTF X = OpenRocket's y, so +90 degrees about Z. It
//    is painted in one flat colour on white and rendered by an OrthographicCamera on +Z
//    looking along -Z, fitted to the bounding box. Screenshot: DIR/browser/X.png.
// 3. Its silhouette is compared with the silhouette of the profile DIR/X.png that `ork render`
//    drew of the same design. Each mask is cropped to its bounding box and scaled (the same
//    factor on both axes) so that the rocket's length spans GRID_LENGTH cells; the two are
//    placed with their centroids on the same row. Their intersection over union must be at
//    least --min-overlap (0.9). DIR/browser/X.overlap.png shows it: grey in both, red only in
//    the profile, blue only in the browser.
//
//   node tests/model/check.mjs DIR [--min-overlap 0.9] [--width 2000] [--expect N]
//
// --width: the screenshot's width in pixels. --expect N: fail unless DIR holds exactly N GLBs,
// so that a design whose GLB is missing does not go unnoticed. DEBUG_MASKS=1 also writes the
// profile's mask as DIR/browser/X.profile-mask.png.
//
// Prints one line per design, `X: validator 0/0 (infos 0, hints 0), overlap 0.973`, then a
// summary and `N passed, N failed`; writes DIR/browser/summary.json. Exit status: 0 every design
// passed; 1 a check failed (a validator error or warning, an overlap below the threshold, a GLB
// without its PNG, a loader error, no GLB in DIR or not --expect of them); 2 usage; 3 the tools
// are not available (packages not installed, the browser does not start or has no WebGL), which
// the test command reads as "tools unavailable".
//
// Environment: CHROMIUM, the browser to drive (default /usr/bin/chromium).
//
// The profile's silhouette. The profile (src/render/draw.rs) draws bodies, fins, lugs and
// buttons as shapes filled with three light colours (FILLS) and outlined in dark grey ink.
// Around them are the title, the figures line, the scale bar and the CG/CP legend; inside or
// across them, lines without fill: the centre line, inner parts, packed items, CG/CP markers.
// The silhouette is found from those colours, not from the layout (u = image width / 1000):
//   a. the pixels of fill colour, and the dark grey ink lines (8-connected, pixels at least
//      half covered) that come within 5 px of a fill-coloured pixel somewhere;
//   b. plus what they enclose: markers, inner lines and the centre line inside the body. Light
//      lines drawn across an outline cut gaps into it, so this is a closing by u px. An
//      enclosed region that is almost all white and larger than four markers (a real gap
//      between parts) stays a hole;
//   c. only the 8-connected pieces holding at least 20 fill-coloured pixels: no text, no scale
//      bar, no legend;
//   d. less the outer half of the outline, which draw.rs centres on the shape's edge (an
//      erosion by 0.55u px, one pixel at the default width of 2000 px).
// So neither the centre line's ends, nor inner parts or markers reaching past the outline, nor
// any text are part of it.

import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const MODULES = path.join(HERE, "node_modules");

/** Fill colours of src/render/draw.rs: BODY_FILL, FIN_FILL, LUG_FILL. */
const FILLS = [
  [0xe9, 0xee, 0xf4],
  [0xd3, 0xdc, 0xe7],
  [0xdd, 0xd6, 0xc8],
];
/** Largest difference per channel still taken as a fill colour. */
const FILL_TOLERANCE = 4;
/**
 * A pixel at least half covered by the outlines' dark grey ink (0x1e2328): luminance below
 * INK_LUMA and channels within INK_CHROMA of each other. The lighter lines (centre line
 * 0x8a96a3, inner parts 0x7d8c9c) and the coloured ones (packed items, CG/CP markers) are not ink.
 */
const INK_LUMA = 135;
const INK_CHROMA = 48;
/**
 * How far (px at the default width of 2000 px) an outline pixel may be from a fill-coloured one.
 * That is the outline's width, plus an inner part's line drawn against the wall.
 */
const NEAR_FILL_PX = 5;
/** Flat colour of the model in the browser; a pixel at least half this colour is the model. */
const MODEL_COLOR = [0x1e, 0x3a, 0x5f];
/** Length of the rocket on the comparison grid, pixels. */
const GRID_LENGTH = 1000;
/** Tallest screenshot, pixels (a wider view is narrowed to fit). */
const MAX_SHOT_HEIGHT = 4096;
/** Longest wait for the page to load and render one GLB. */
const RENDER_TIMEOUT_MS = 60_000;

const USAGE =
  "usage: node tests/model/check.mjs DIR [--min-overlap 0.9] [--width 2000] [--expect N]";

class Unavailable extends Error {}

function usage(message) {
  console.error(`check: ${message}\n${USAGE}`);
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { dir: null, minOverlap: 0.9, width: 2000, expect: null };
  for (let i = 0; i < argv.length; i += 1) {
    const a = argv[i];
    if (a === "--min-overlap" || a === "--width" || a === "--expect") {
      const v = Number(argv[i + 1]);
      if (argv[i + 1] === undefined || !Number.isFinite(v)) usage(`${a} needs a number`);
      if (a === "--min-overlap") opts.minOverlap = v;
      else if (a === "--width") opts.width = Math.round(v);
      else opts.expect = Math.round(v);
      i += 1;
    } else if (a === "-h" || a === "--help") {
      console.log(USAGE);
      process.exit(0);
    } else if (a.startsWith("-")) {
      usage(`unknown option ${a}`);
    } else if (opts.dir === null) {
      opts.dir = a;
    } else {
      usage(`one DIR only (got ${opts.dir} and ${a})`);
    }
  }
  if (opts.dir === null) usage("DIR is missing");
  if (!(opts.width >= 200 && opts.width <= 8192)) usage("--width must be between 200 and 8192");
  return opts;
}

/** Imports a package of tests/model, or says how to install it (exit 3). */
async function need(name) {
  try {
    return await import(name);
  } catch (e) {
    const hint = "run: bash infra/local/browser.sh install";
    throw new Unavailable(`cannot load ${name} (${e.message}); ${hint}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Masks

/** A mask: width, height, and one byte per pixel (1 = rocket). */
function newMask(width, height) {
  return { width, height, data: new Uint8Array(width * height) };
}

/** RGB of a decoded RGBA PNG, composited over white (for `ork render --transparent`). */
function rgbOverWhite(png) {
  const n = png.width * png.height;
  const rgb = new Uint8Array(n * 3);
  for (let i = 0; i < n; i += 1) {
    const a = png.data[4 * i + 3] / 255;
    for (let c = 0; c < 3; c += 1) {
      rgb[3 * i + c] = Math.round(png.data[4 * i + c] * a + 255 * (1 - a));
    }
  }
  return rgb;
}

function luma(r, g, b) {
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** Box dilation of a 0/1 mask by `r` pixels (Chebyshev distance). It runs as two passes. */
function dilate(mask, r) {
  const { width: w, height: h } = mask;
  const tmp = new Uint8Array(w * h);
  const out = new Uint8Array(w * h);
  for (let y = 0; y < h; y += 1) {
    let last = -Infinity; // last set x seen, scanning left to right
    const row = y * w;
    for (let x = 0; x < w; x += 1) {
      if (mask.data[row + x]) last = x;
      if (x - last <= r) tmp[row + x] = 1;
    }
    last = Infinity;
    for (let x = w - 1; x >= 0; x -= 1) {
      if (mask.data[row + x]) last = x;
      if (last - x <= r) tmp[row + x] = 1;
    }
  }
  for (let x = 0; x < w; x += 1) {
    let last = -Infinity;
    for (let y = 0; y < h; y += 1) {
      if (tmp[y * w + x]) last = y;
      if (y - last <= r) out[y * w + x] = 1;
    }
    last = Infinity;
    for (let y = h - 1; y >= 0; y -= 1) {
      if (tmp[y * w + x]) last = y;
      if (last - y <= r) out[y * w + x] = 1;
    }
  }
  return { width: w, height: h, data: out };
}

/** Box erosion of a 0/1 mask by `r` pixels: what stays set when every pixel within r is set. */
function erode(mask, r) {
  const inverse = newMask(mask.width, mask.height);
  for (let i = 0; i < mask.data.length; i += 1) inverse.data[i] = mask.data[i] ? 0 : 1;
  const grown = dilate(inverse, r);
  for (let i = 0; i < grown.data.length; i += 1) grown.data[i] = grown.data[i] ? 0 : 1;
  return grown;
}

/**
 * Labels the connected regions of pixels where `inside(i)` holds (4- or 8-connected) and calls
 * `visit(pixels)` with each region's pixel indices.
 */
function regions(width, height, inside, connectivity, visit) {
  const seen = new Uint8Array(width * height);
  const stack = new Int32Array(width * height);
  const d4 = [
    [1, 0],
    [-1, 0],
    [0, 1],
    [0, -1],
  ];
  const d8 = [...d4, [1, 1], [1, -1], [-1, 1], [-1, -1]];
  const dirs = connectivity === 8 ? d8 : d4;
  for (let start = 0; start < width * height; start += 1) {
    if (seen[start] || !inside(start)) continue;
    let top = 0;
    const pixels = [];
    stack[top++] = start;
    seen[start] = 1;
    while (top > 0) {
      const i = stack[--top];
      pixels.push(i);
      const x = i % width;
      const y = (i - x) / width;
      for (const [dx, dy] of dirs) {
        const nx = x + dx;
        const ny = y + dy;
        if (nx < 0 || ny < 0 || nx >= width || ny >= height) continue;
        const j = ny * width + nx;
        if (!seen[j] && inside(j)) {
          seen[j] = 1;
          stack[top++] = j;
        }
      }
    }
    visit(pixels);
  }
}

/** The rocket's silhouette in a profile PNG drawn by `ork render` (see the header). */
function profileMask(png) {
  const { width: w, height: h } = png;
  const rgb = rgbOverWhite(png);
  const n = w * h;
  const fill = newMask(w, h);
  const white = new Uint8Array(n);
  const ink = new Uint8Array(n);
  for (let i = 0; i < n; i += 1) {
    const r = rgb[3 * i];
    const g = rgb[3 * i + 1];
    const b = rgb[3 * i + 2];
    fill.data[i] = FILLS.some(
      (f) =>
        Math.abs(r - f[0]) <= FILL_TOLERANCE &&
        Math.abs(g - f[1]) <= FILL_TOLERANCE &&
        Math.abs(b - f[2]) <= FILL_TOLERANCE,
    )
      ? 1
      : 0;
    white[i] = r >= 248 && g >= 248 && b >= 248 ? 1 : 0;
    ink[i] = luma(r, g, b) < INK_LUMA && Math.max(r, g, b) - Math.min(r, g, b) < INK_CHROMA ? 1 : 0;
  }
  // The scale of the drawing: draw.rs sizes lines and markers by width / 1000.
  const u = w / 1000;
  const near = dilate(fill, Math.max(1, Math.round((NEAR_FILL_PX * w) / 2000)));
  // a. fill colours, and the dark lines (8-connected) that come near them somewhere: outlines
  //    are kept whole even where lighter lines inside cover their inner side.
  const kept = newMask(w, h);
  kept.data.set(fill.data);
  regions(
    w,
    h,
    (i) => ink[i] === 1,
    8,
    (pixels) => {
      if (pixels.some((i) => near.data[i])) for (const i of pixels) kept.data[i] = 1;
    },
  );
  // b. enclosed regions, unless they are large white gaps (a CG/CP marker is at most 11u in
  //    radius). Light lines drawn across an outline (inner tubes, the centre line) cut gaps into
  //    it: the regions are found with the kept pixels grown by u px, then shrunk back (a closing).
  const markerArea = Math.PI * (11 * u) ** 2;
  const r = Math.max(1, Math.round(u));
  const solid = dilate(kept, r);
  let holes = 0;
  regions(
    w,
    h,
    (i) => !solid.data[i],
    4,
    (pixels) => {
      let border = false;
      let whites = 0;
      for (const i of pixels) {
        const x = i % w;
        const y = (i - x) / w;
        if (x === 0 || y === 0 || x === w - 1 || y === h - 1) border = true;
        whites += white[i];
      }
      if (border) return;
      if (pixels.length > 4 * markerArea && whites > 0.9 * pixels.length) {
        holes += 1;
        return;
      }
      for (const i of pixels) solid.data[i] = 1;
    },
  );
  const closed = erode(solid, r);
  for (let i = 0; i < n; i += 1) closed.data[i] |= kept.data[i];
  // c. the pieces that hold fill colour.
  const out = newMask(w, h);
  regions(
    w,
    h,
    (i) => closed.data[i] === 1,
    8,
    (pixels) => {
      let fills = 0;
      for (const i of pixels) fills += fill.data[i];
      if (fills >= 20) for (const i of pixels) out.data[i] = 1;
    },
  );
  // d. the outline is drawn centred on the shape's edge, 1.1u wide (draw.rs), so its outer half
  //    lies outside the shape: peel it off (one pixel at the default width of 2000 px).
  const peel = Math.round(0.55 * u);
  const shape = peel > 0 ? erode(out, peel) : out;
  shape.holes = holes;
  return shape;
}

/** The model's pixels in the browser's screenshot: at least half the flat model colour. */
function screenshotMask(png) {
  const { width: w, height: h } = png;
  const rgb = rgbOverWhite(png);
  const limit = (255 + luma(...MODEL_COLOR)) / 2;
  const out = newMask(w, h);
  for (let i = 0; i < w * h; i += 1) {
    out.data[i] = luma(rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2]) < limit ? 1 : 0;
  }
  return out;
}

function bbox(mask) {
  const { width: w, height: h, data } = mask;
  let x0 = w;
  let y0 = h;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < h; y += 1) {
    for (let x = 0; x < w; x += 1) {
      if (data[y * w + x]) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  return x1 < 0 ? null : { x0, y0, x1: x1 + 1, y1: y1 + 1 };
}

/**
 * The mask cropped to `box` and scaled (the same factor on both axes) so that the box's width
 * becomes `length` cells. A cell is set when at least half of the source area it covers is.
 */
function resample(mask, box, length, height, top) {
  const bw = box.x1 - box.x0;
  const s = bw / length; // source pixels per cell
  const w = mask.width;
  // Summed-area table over the box.
  const bh = box.y1 - box.y0;
  const sat = new Float64Array((bw + 1) * (bh + 1));
  for (let y = 0; y < bh; y += 1) {
    let run = 0;
    for (let x = 0; x < bw; x += 1) {
      run += mask.data[(box.y0 + y) * w + box.x0 + x];
      sat[(y + 1) * (bw + 1) + x + 1] = sat[y * (bw + 1) + x + 1] + run;
    }
  }
  // Area of [0, x) × [0, y) at fractional x, y (bilinear in the table).
  const area = (x, y) => {
    x = Math.min(Math.max(x, 0), bw);
    y = Math.min(Math.max(y, 0), bh);
    const xi = Math.min(Math.floor(x), bw - 1);
    const yi = Math.min(Math.floor(y), bh - 1);
    const fx = x - xi;
    const fy = y - yi;
    const at = (i, j) => sat[j * (bw + 1) + i];
    const a0 = at(xi, yi) * (1 - fx) + at(xi + 1, yi) * fx;
    const a1 = at(xi, yi + 1) * (1 - fx) + at(xi + 1, yi + 1) * fx;
    return a0 * (1 - fy) + a1 * fy;
  };
  const out = newMask(length, height);
  for (let j = 0; j < height; j += 1) {
    const sy0 = (j - top) * s;
    const sy1 = sy0 + s;
    if (sy1 <= 0 || sy0 >= bh) continue;
    for (let i = 0; i < length; i += 1) {
      const sx0 = i * s;
      const sx1 = sx0 + s;
      const covered = area(sx1, sy1) - area(sx0, sy1) - area(sx1, sy0) + area(sx0, sy0);
      out.data[j * length + i] = covered >= 0.5 * s * s ? 1 : 0;
    }
  }
  return out;
}

/** Mean row of the mask's pixels. */
function centroidY(mask) {
  let sum = 0;
  let count = 0;
  for (let y = 0; y < mask.height; y += 1) {
    for (let x = 0; x < mask.width; x += 1) {
      if (mask.data[y * mask.width + x]) {
        sum += y + 0.5;
        count += 1;
      }
    }
  }
  return sum / count;
}

/**
 * Intersection over union of the two silhouettes. Each is cropped to its bounding box and
 * scaled so its length is GRID_LENGTH cells; the two are placed with their centroids on the
 * same row (the views differ by a pixel or so in height where thickness shows, which would
 * shift a top or centre alignment).
 */
function overlap(a, b) {
  const ba = bbox(a);
  const bb = bbox(b);
  if (!ba || !bb) return { overlap: 0, grid: null };
  const place = (m, box) => {
    const s = (box.x1 - box.x0) / GRID_LENGTH;
    const above = (centroidY(m) - box.y0) / s;
    return { above, below: (box.y1 - box.y0) / s - above };
  };
  const pa = place(a, ba);
  const pb = place(b, bb);
  const above = Math.max(pa.above, pb.above);
  const height = Math.ceil(above + Math.max(pa.below, pb.below));
  const ga = resample(a, ba, GRID_LENGTH, height, above - pa.above);
  const gb = resample(b, bb, GRID_LENGTH, height, above - pb.above);
  let both = 0;
  let either = 0;
  for (let i = 0; i < ga.data.length; i += 1) {
    both += ga.data[i] & gb.data[i];
    either += ga.data[i] | gb.data[i];
  }
  return {
    overlap: either ? both / either : 0,
    grid: { width: GRID_LENGTH, height, profile: ga, browser: gb },
  };
}

/** Grey in both, red only in the profile, blue only in the browser's render. */
function overlapPng(PNG, grid) {
  const png = new PNG({ width: grid.width, height: grid.height });
  for (let i = 0; i < grid.width * grid.height; i += 1) {
    const p = grid.profile.data[i];
    const b = grid.browser.data[i];
    const c = p && b ? [150, 150, 150] : p ? [220, 30, 30] : b ? [30, 80, 220] : [255, 255, 255];
    png.data.set([...c, 255], 4 * i);
  }
  return PNG.sync.write(png);
}

// ---------------------------------------------------------------------------------------------
// The page and its server

const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>ork model check</title>
<style>html, body { margin: 0; padding: 0; background: #fff; } canvas { display: block; }</style>
<script type="importmap">
{ "imports": { "three": "/three/build/three.module.js", "three/addons/": "/three/examples/jsm/" } }
</script>
<script type="module">
import * as THREE from "three";
import { GLTFLoader } from "three/addons/loaders/GLTFLoader.js";

const canvas = document.createElement("canvas");
document.body.appendChild(canvas);
let renderer = null;
try {
  renderer = new THREE.WebGLRenderer({ canvas, antialias: true, preserveDrawingBuffer: true });
  renderer.setPixelRatio(1);
  renderer.setClearColor(0xffffff, 1);
} catch (e) {
  window.webglError = String(e && e.message || e);
}
const flat = new THREE.MeshBasicMaterial({ color: ${JSON.stringify(
  (MODEL_COLOR[0] << 16) | (MODEL_COLOR[1] << 8) | MODEL_COLOR[2],
)}, side: THREE.DoubleSide });

// Loads the GLB at url, renders its side view width px wide, and says what it drew.
window.renderModel = async (url, width, maxHeight) => {
  const gltf = await new GLTFLoader().loadAsync(url);
  let meshes = 0, triangles = 0;
  gltf.scene.traverse((o) => {
    if (!o.isMesh) return;
    meshes += 1;
    const g = o.geometry;
    triangles += (g.index ? g.index.count : g.attributes.position.count) / 3;
    o.material = flat;
  });
  // Nose up along +Y becomes nose left; glTF X (OpenRocket's y) becomes up.
  const model = new THREE.Group();
  model.add(gltf.scene);
  model.rotation.z = Math.PI / 2;
  const scene = new THREE.Scene();
  scene.add(model);
  model.updateMatrixWorld(true);
  const box = new THREE.Box3().setFromObject(model, true);
  if (box.isEmpty()) throw new Error("the model is empty");
  const size = box.getSize(new THREE.Vector3());
  const margin = 0.02 * Math.max(size.x, size.y);
  const viewW = size.x + 2 * margin, viewH = size.y + 2 * margin;
  let w = width, h = Math.max(8, Math.round((width * viewH) / viewW));
  if (h > maxHeight) { h = maxHeight; w = Math.max(8, Math.round((h * viewW) / viewH)); }
  const depth = size.z + 2;
  const camera = new THREE.OrthographicCamera(
    box.min.x - margin, box.max.x + margin, box.max.y + margin, box.min.y - margin, 0.5, depth + 1);
  camera.position.set(0, 0, box.max.z + 1);
  camera.lookAt(0, 0, box.max.z);
  renderer.setSize(w, h);
  renderer.render(scene, camera);
  gltf.scene.traverse((o) => { if (o.isMesh) o.geometry.dispose(); });
  return {
    width: w, height: h, meshes, triangles,
    size_m: [size.x, size.y, size.z],
  };
};
window.pageReady = true;
</script></head><body></body></html>`;

/** Serves the page, three.js's files and the GLBs (by index) on 127.0.0.1. */
function serve(glbs) {
  const three = path.join(MODULES, "three");
  const allowed = [path.join(three, "build"), path.join(three, "examples", "jsm")].map(
    (d) => d + path.sep,
  );
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, "http://127.0.0.1");
    const send = (status, type, body) => {
      res.writeHead(status, { "content-type": type, "cache-control": "no-store" });
      res.end(body);
    };
    if (url.pathname === "/") return send(200, "text/html; charset=utf-8", PAGE);
    const glb = /^\/glb\/(\d+)$/.exec(url.pathname);
    if (glb && Number(glb[1]) < glbs.length) {
      return fs.readFile(glbs[Number(glb[1])], (err, data) =>
        err ? send(500, "text/plain", String(err)) : send(200, "model/gltf-binary", data),
      );
    }
    if (url.pathname.startsWith("/three/")) {
      let file = "";
      try {
        file = path.normalize(path.join(three, decodeURIComponent(url.pathname.slice(7))));
      } catch {
        // A malformed escape: not found.
      }
      if (allowed.some((dir) => file.startsWith(dir)) && file.endsWith(".js")) {
        return fs.readFile(file, (err, data) =>
          err ? send(404, "text/plain", "not found") : send(200, "text/javascript", data),
        );
      }
    }
    send(404, "text/plain", "not found");
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve(server));
  });
}

const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  // WebGL without a GPU: ANGLE on SwiftShader.
  "--use-angle=swiftshader",
  "--enable-unsafe-swiftshader",
];

/** Headless Chromium with a fresh profile (Playwright makes a new --user-data-dir). */
async function launchBrowser() {
  const { chromium } = await need("playwright-core");
  const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
  if (!fs.existsSync(executablePath)) {
    throw new Unavailable(`${executablePath} not found; run: bash infra/local/browser.sh install`);
  }
  try {
    const browser = await chromium.launch({
      executablePath,
      headless: true,
      args: CHROMIUM_ARGS,
      timeout: 60_000,
    });
    return browser;
  } catch (e) {
    throw new Unavailable(`${executablePath} did not start: ${e.message.split("\n")[0]}`);
  }
}

// ---------------------------------------------------------------------------------------------

/** `promise`, or an error after `ms` (page.evaluate itself never times out). */
function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took more than ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function median(values) {
  if (!values.length) return null;
  const v = [...values].sort((a, b) => a - b);
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

async function main() {
  const started = performance.now();
  const opts = parseArgs(process.argv.slice(2));
  const dir = path.resolve(opts.dir);
  if (!fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory()) {
    usage(`${opts.dir} is not a directory`);
  }
  const validator = await need("gltf-validator");
  const { PNG } = await need("pngjs");
  const threePkg = JSON.parse(fs.readFileSync(path.join(MODULES, "three", "package.json"), "utf8"));

  const stems = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".glb"))
    .map((f) => f.slice(0, -4))
    .sort();
  const out = path.join(dir, "browser");
  fs.mkdirSync(out, { recursive: true });
  const summary = {
    dir,
    min_overlap: opts.minOverlap,
    tools: {
      gltf_validator: validator.version(),
      three: threePkg.version,
      chromium: null,
      node: process.version,
    },
    designs: [],
  };
  const failures = [];
  if (!stems.length) failures.push(`no .glb file in ${dir}`);
  else if (opts.expect !== null && stems.length !== opts.expect) {
    failures.push(`${stems.length} .glb files in ${dir}, expected ${opts.expect}`);
  }

  const server = await serve(stems.map((s) => path.join(dir, `${s}.glb`)));
  let browser = null;
  try {
    browser = await launchBrowser();
    summary.tools.chromium = browser.version();
    const page = await browser.newPage({
      viewport: { width: opts.width, height: 600 },
      deviceScaleFactor: 1,
    });
    const pageErrors = [];
    page.on("pageerror", (e) => pageErrors.push(e.message));
    page.setDefaultTimeout(60_000);
    const base = `http://127.0.0.1:${server.address().port}`;
    await page.goto(`${base}/`);
    try {
      await page.waitForFunction(() => window.pageReady === true || window.webglError, null, {
        timeout: 60_000,
      });
    } catch {
      const why = pageErrors.join("; ") || "timeout";
      throw new Unavailable(`the page did not load three.js: ${why}`);
    }
    const webglError = await page.evaluate(() => window.webglError || null);
    if (webglError) throw new Unavailable(`no WebGL in ${summary.tools.chromium}: ${webglError}`);

    for (const [index, stem] of stems.entries()) {
      const t0 = performance.now();
      const row = { name: stem, glb: `${stem}.glb`, profile: `${stem}.png` };
      summary.designs.push(row);
      const why = [];
      // 1. The validator.
      const bytes = fs.readFileSync(path.join(dir, `${stem}.glb`));
      const report = await validator.validateBytes(new Uint8Array(bytes), {
        uri: `${stem}.glb`,
        format: "glb",
        maxIssues: 0,
        writeTimestamp: false,
        externalResourceFunction: (uri) =>
          Promise.reject(new Error(`external resource ${uri} refused`)),
      });
      const issues = report.issues;
      row.validator = {
        errors: issues.numErrors,
        warnings: issues.numWarnings,
        infos: issues.numInfos,
        hints: issues.numHints,
        messages: issues.messages.slice(0, 20),
      };
      if (issues.numErrors || issues.numWarnings) {
        why.push(`validator: ${issues.numErrors} errors, ${issues.numWarnings} warnings`);
        for (const m of issues.messages.filter((m) => m.severity <= 1).slice(0, 5)) {
          const kind = m.severity === 0 ? "error" : "warning";
          why.push(`  ${kind} ${m.code} at ${m.pointer ?? "?"}: ${m.message}`);
        }
      }
      // 2. The browser.
      try {
        const drawn = await withTimeout(
          page.evaluate(([url, w, maxH]) => window.renderModel(url, w, maxH), [
            `${base}/glb/${index}`,
            opts.width,
            MAX_SHOT_HEIGHT,
          ]),
          RENDER_TIMEOUT_MS,
          "loading and rendering the GLB",
        );
        await page.setViewportSize({
          width: Math.max(drawn.width, 200),
          height: Math.max(drawn.height, 100),
        });
        const shot = await page.screenshot({
          clip: { x: 0, y: 0, width: drawn.width, height: drawn.height },
          path: path.join(out, `${stem}.png`),
        });
        row.screenshot = `browser/${stem}.png`;
        row.meshes = drawn.meshes;
        row.triangles = drawn.triangles;
        row.size_m = drawn.size_m.map((v) => Number(v.toFixed(5)));
        // 3. The silhouettes.
        const profilePath = path.join(dir, `${stem}.png`);
        if (!fs.existsSync(profilePath)) {
          why.push(`no profile ${stem}.png beside the GLB`);
        } else {
          const profile = profileMask(PNG.sync.read(fs.readFileSync(profilePath)));
          if (process.env.DEBUG_MASKS) {
            const dbg = new PNG({ width: profile.width, height: profile.height });
            for (let i = 0; i < profile.data.length; i += 1) {
              dbg.data.set(profile.data[i] ? [0, 0, 0, 255] : [255, 255, 255, 255], 4 * i);
            }
            fs.writeFileSync(path.join(out, `${stem}.profile-mask.png`), PNG.sync.write(dbg));
          }
          const browserMask = screenshotMask(PNG.sync.read(shot));
          const cmp = overlap(profile, browserMask);
          row.overlap = Number(cmp.overlap.toFixed(4));
          row.profile_holes = profile.holes;
          if (cmp.grid) {
            fs.writeFileSync(path.join(out, `${stem}.overlap.png`), overlapPng(PNG, cmp.grid));
            row.overlap_image = `browser/${stem}.overlap.png`;
          } else {
            why.push(`empty silhouette (${bbox(profile) ? "browser" : "profile"})`);
          }
          if (!(cmp.overlap >= opts.minOverlap)) {
            why.push(`overlap ${cmp.overlap.toFixed(3)} < ${opts.minOverlap}`);
          }
        }
      } catch (e) {
        why.push(`browser: ${e.message.split("\n")[0]}`);
      }
      if (pageErrors.length) why.push(`page errors: ${pageErrors.splice(0).join("; ")}`);
      row.ms = Math.round(performance.now() - t0);
      row.ok = why.length === 0;
      if (!row.ok) {
        row.failures = why;
        failures.push(`${stem}: ${why[0]}`);
      }
      const v = row.validator;
      const ov = row.overlap === undefined ? "-" : row.overlap.toFixed(3);
      const counts = `${v.errors}/${v.warnings} (infos ${v.infos}, hints ${v.hints})`;
      console.log(`${row.ok ? "" : "FAIL "}${stem}: validator ${counts}, overlap ${ov}`);
      for (const w of why) console.log(`  ${w}`);
    }
  } finally {
    if (browser) await browser.close();
    server.close();
  }

  const overlaps = summary.designs.map((d) => d.overlap).filter((o) => o !== undefined);
  summary.overlap_min = overlaps.length ? Math.min(...overlaps) : null;
  summary.overlap_median = median(overlaps);
  summary.passed = summary.designs.filter((d) => d.ok).length;
  summary.failed = summary.designs.length - summary.passed;
  summary.failures = failures;
  summary.seconds = Number(((performance.now() - started) / 1000).toFixed(1));
  fs.writeFileSync(path.join(out, "summary.json"), `${JSON.stringify(summary, null, 2)}\n`);
  const fmt = (x) => (x === null ? "-" : x.toFixed(3));
  const t = summary.tools;
  console.log(
    `model check: ${summary.designs.length} GLBs in ${summary.seconds} s; ` +
      `overlap min ${fmt(summary.overlap_min)}, median ${fmt(summary.overlap_median)} ` +
      `(threshold ${opts.minOverlap}); gltf-validator ${t.gltf_validator}, three ${t.three}, ` +
      `Chromium ${t.chromium}; screenshots in ${out}`,
  );
  const extra = failures.length - summary.failed; // no GLB at all, or not as many as expected
  console.log(`${summary.passed} passed, ${summary.failed + extra} failed`);
  if (failures.length) {
    for (const f of failures) console.error(`FAILED ${f}`);
    process.exit(1);
  }
}

main().catch((e) => {
  if (e instanceof Unavailable) {
    console.error(`check: tools unavailable: ${e.message}`);
    process.exit(3);
  }
  console.error(`check: ${e.stack || e}`);
  process.exit(1);
});
