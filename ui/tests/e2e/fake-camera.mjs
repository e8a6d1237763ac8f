// A video file for Chromium's fake camera (`--use-file-for-fake-video-capture`):
// a QR image centred on a white frame, written as Y4M (a header line, then
// "FRAME\n" and the raw I420 planes for each frame). Only what the fixture
// needs is read: 8-bit greyscale, non-interlaced PNG, as `icaze qr --png` writes.
import { readFileSync, writeFileSync } from "node:fs";
import { inflateSync } from "node:zlib";

/** Reads an 8-bit greyscale PNG into its luma bytes. */
export function readGreyPng(path) {
  const png = readFileSync(path);
  if (png.toString("latin1", 1, 4) !== "PNG") throw new Error(`${path} is not a PNG`);
  let offset = 8;
  let width = 0;
  let height = 0;
  const idat = [];
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString("latin1", offset + 4, offset + 8);
    const data = png.subarray(offset + 8, offset + 8 + length);
    if (type === "IHDR") {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      const [depth, colour, , , interlace] = data.subarray(8);
      if (depth !== 8 || colour !== 0 || interlace !== 0) {
        throw new Error(`${path}: only 8-bit greyscale non-interlaced PNG is read here`);
      }
    } else if (type === "IDAT") {
      idat.push(data);
    }
    offset += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const luma = Buffer.alloc(width * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (width + 1)];
    const line = raw.subarray(y * (width + 1) + 1, (y + 1) * (width + 1));
    for (let x = 0; x < width; x++) {
      const a = x > 0 ? luma[y * width + x - 1] : 0;
      const b = y > 0 ? luma[(y - 1) * width + x] : 0;
      const c = x > 0 && y > 0 ? luma[(y - 1) * width + x - 1] : 0;
      let predicted;
      if (filter === 0) predicted = 0;
      else if (filter === 1) predicted = a;
      else if (filter === 2) predicted = b;
      else if (filter === 3) predicted = (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
        predicted = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      } else throw new Error(`${path}: unknown PNG filter ${filter}`);
      luma[y * width + x] = (line[x] + predicted) & 0xff;
    }
  }
  return { width, height, luma };
}

/** Writes `frames` identical frames of `image` centred on a white width×height picture. */
export function writeY4m(path, image, { width = 640, height = 480, frames = 3 } = {}) {
  if (image.width > width || image.height > height) throw new Error("the image is larger than the frame");
  const y = Buffer.alloc(width * height, 255);
  const left = (width - image.width) >> 1;
  const top = (height - image.height) >> 1;
  for (let row = 0; row < image.height; row++) {
    image.luma.copy(y, (top + row) * width + left, row * image.width, (row + 1) * image.width);
  }
  // Grey: both chroma planes at the midpoint, each a quarter of the luma plane.
  const chroma = Buffer.alloc((width / 2) * (height / 2) * 2, 128);
  const frame = Buffer.concat([Buffer.from("FRAME\n"), y, chroma]);
  const header = Buffer.from(`YUV4MPEG2 W${width} H${height} F10:1 Ip A1:1 C420jpeg\n`);
  writeFileSync(path, Buffer.concat([header, ...Array(frames).fill(frame)]));
}
