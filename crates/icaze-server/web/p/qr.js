// A QR code encoder (ISO/IEC 18004) for digit strings, with no dependencies.
//
// The citizen page draws a permit's QR form (decimal digits, docs/token-format.md
// §2.2) with it, exactly as the server's encoder does (crates/icaze-qr): numeric mode
// only, error correction level M, the smallest version (1 to 40) that holds the
// digits, and the mask (0 to 7) with the lowest penalty score of the standard's four
// rules (ties go to the lower mask number). Micro QR, other modes, ECI and structured
// append are deliberately absent: a permit's QR form is digits only.
//
//   import { encodeDigits, drawQr } from "/p/qr.js";
//   const qr = encodeDigits("0123456789");     // {version, size, mask, dark(x, y)}
//   drawQr(canvas, qr, 8);                     // 8 px a module, 4-module quiet zone
//
// The construction follows the standard's steps in order: data bits, padding,
// Reed-Solomon blocks and their interleaving, function patterns, the codeword
// placement zigzag, masking and scoring, then the format and version information.

/** Width of the light border around the symbol, in modules (the standard's minimum). */
export const QUIET_ZONE = 4;

// Error correction codewords per block and number of blocks at level M, indexed by
// version (index 0 unused); ISO/IEC 18004 table 9.
const EC_PER_BLOCK_M = [
  -1, 10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22, 24, 24, 28, 28, 26, 26, 26, 26, 28, 28, 28, 28, 28, 28, 28,
  28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28,
];
const BLOCKS_M = [
  -1, 1, 1, 1, 2, 2, 4, 4, 4, 5, 5, 5, 8, 9, 9, 10, 10, 11, 13, 14, 16, 17, 17, 18, 20, 21, 23, 25, 26, 28, 29, 31, 33,
  35, 37, 38, 40, 43, 45, 47, 49,
];
// The format information's two error correction bits for level M are 00.
const FORMAT_EC_BITS_M = 0;

/** An error for input the encoder cannot take; `code` is stable for callers. */
export class QrEncodeError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

/** Side of a symbol of `version`, in modules. */
function sizeOf(version) {
  return 17 + 4 * version;
}

/** Modules available for data and error correction codewords (and remainder bits). */
function rawDataModules(version) {
  let result = (16 * version + 128) * version + 64;
  if (version >= 2) {
    const align = Math.floor(version / 7) + 2;
    result -= (25 * align - 10) * align - 55;
    if (version >= 7) result -= 36;
  }
  return result;
}

/** Data codewords of `version` at level M. */
function dataCodewords(version) {
  return Math.floor(rawDataModules(version) / 8) - EC_PER_BLOCK_M[version] * BLOCKS_M[version];
}

/** Bits of the numeric mode's character count indicator. */
function countBits(version) {
  return version <= 9 ? 10 : version <= 26 ? 12 : 14;
}

/** Bits taken by `n` digits in numeric mode: 10 per group of 3, then 4 or 7. */
function numericBits(n) {
  return Math.floor(n / 3) * 10 + [0, 4, 7][n % 3];
}

/** Centres of the alignment patterns along one axis. */
function alignmentPositions(version) {
  if (version === 1) return [];
  const count = Math.floor(version / 7) + 2;
  const step = Math.floor((version * 8 + count * 3 + 5) / (count * 4 - 4)) * 2;
  const result = [6];
  for (let pos = sizeOf(version) - 7; result.length < count; pos -= step) result.splice(1, 0, pos);
  return result;
}

// Arithmetic in GF(2^8) modulo x^8 + x^4 + x^3 + x^2 + 1 (0x11D), as the standard uses.
function gfMultiply(x, y) {
  let z = 0;
  for (let i = 7; i >= 0; i--) {
    z = (z << 1) ^ ((z >>> 7) * 0x11d);
    z ^= ((y >>> i) & 1) * x;
  }
  return z;
}

/** The Reed-Solomon generator polynomial of `degree`, without its leading 1. */
function rsDivisor(degree) {
  const result = new Array(degree).fill(0);
  result[degree - 1] = 1;
  let root = 1;
  for (let i = 0; i < degree; i++) {
    for (let j = 0; j < result.length; j++) {
      result[j] = gfMultiply(result[j], root);
      if (j + 1 < result.length) result[j] ^= result[j + 1];
    }
    root = gfMultiply(root, 0x02);
  }
  return result;
}

/** The error correction codewords of `data`: the remainder of its division by `divisor`. */
function rsRemainder(data, divisor) {
  const result = new Array(divisor.length).fill(0);
  for (const byte of data) {
    const factor = byte ^ result.shift();
    result.push(0);
    for (let i = 0; i < result.length; i++) result[i] ^= gfMultiply(divisor[i], factor);
  }
  return result;
}

/** The data codewords: mode, count, digits, terminator and padding. */
function dataBytes(digits, version) {
  const bits = [];
  const put = (value, length) => {
    for (let i = length - 1; i >= 0; i--) bits.push((value >>> i) & 1);
  };
  put(0b0001, 4);
  put(digits.length, countBits(version));
  for (let i = 0; i < digits.length; i += 3) {
    const group = digits.slice(i, i + 3);
    put(Number(group), group.length * 3 + 1);
  }
  const capacity = dataCodewords(version) * 8;
  put(0, Math.min(4, capacity - bits.length));
  put(0, (8 - (bits.length % 8)) % 8);
  const bytes = [];
  for (let i = 0; i < bits.length; i += 8) {
    let byte = 0;
    for (let j = 0; j < 8; j++) byte = (byte << 1) | bits[i + j];
    bytes.push(byte);
  }
  for (let pad = 0xec; bytes.length < capacity / 8; pad ^= 0xec ^ 0x11) bytes.push(pad);
  return bytes;
}

/** Splits the data into blocks, adds each block's error correction, and interleaves. */
function interleave(data, version) {
  const blocks = BLOCKS_M[version];
  const ecLength = EC_PER_BLOCK_M[version];
  const raw = Math.floor(rawDataModules(version) / 8);
  const shortBlocks = blocks - (raw % blocks);
  const shortData = Math.floor(raw / blocks) - ecLength;
  const divisor = rsDivisor(ecLength);
  const dataBlocks = [];
  const ecBlocks = [];
  for (let i = 0, at = 0; i < blocks; i++) {
    const length = shortData + (i < shortBlocks ? 0 : 1);
    const block = data.slice(at, at + length);
    at += length;
    dataBlocks.push(block);
    ecBlocks.push(rsRemainder(block, divisor));
  }
  const result = [];
  for (let i = 0; i <= shortData; i++) {
    for (const block of dataBlocks) if (i < block.length) result.push(block[i]);
  }
  for (let i = 0; i < ecLength; i++) {
    for (const block of ecBlocks) result.push(block[i]);
  }
  return result;
}

/** The symbol under construction: module colours and which modules are function patterns. */
class Matrix {
  constructor(version) {
    this.version = version;
    this.size = sizeOf(version);
    this.dark = new Uint8Array(this.size * this.size);
    this.function = new Uint8Array(this.size * this.size);
  }

  get(x, y) {
    return this.dark[y * this.size + x] === 1;
  }

  setFunction(x, y, dark) {
    this.dark[y * this.size + x] = dark ? 1 : 0;
    this.function[y * this.size + x] = 1;
  }

  drawFunctionPatterns() {
    const size = this.size;
    for (let i = 0; i < size; i++) {
      this.setFunction(6, i, i % 2 === 0);
      this.setFunction(i, 6, i % 2 === 0);
    }
    this.drawFinder(3, 3);
    this.drawFinder(size - 4, 3);
    this.drawFinder(3, size - 4);
    const positions = alignmentPositions(this.version);
    const last = positions.length - 1;
    for (let i = 0; i <= last; i++) {
      for (let j = 0; j <= last; j++) {
        // The three corners that hold finder patterns have no alignment pattern.
        if ((i === 0 && j === 0) || (i === 0 && j === last) || (i === last && j === 0)) continue;
        this.drawAlignment(positions[i], positions[j]);
      }
    }
    // Reserve the format areas now; the real bits are written once the mask is known.
    this.drawFormat(0);
    this.drawVersion();
  }

  /** A finder pattern centred at (x, y), with its light separator. */
  drawFinder(x, y) {
    for (let dy = -4; dy <= 4; dy++) {
      for (let dx = -4; dx <= 4; dx++) {
        const distance = Math.max(Math.abs(dx), Math.abs(dy));
        const xx = x + dx;
        const yy = y + dy;
        if (xx >= 0 && xx < this.size && yy >= 0 && yy < this.size) {
          this.setFunction(xx, yy, distance !== 2 && distance !== 4);
        }
      }
    }
  }

  drawAlignment(x, y) {
    for (let dy = -2; dy <= 2; dy++) {
      for (let dx = -2; dx <= 2; dx++) this.setFunction(x + dx, y + dy, Math.max(Math.abs(dx), Math.abs(dy)) !== 1);
    }
  }

  /** The 15 format bits (level M, `mask`) in both copies, and the dark module. */
  drawFormat(mask) {
    const data = (FORMAT_EC_BITS_M << 3) | mask;
    let rem = data;
    for (let i = 0; i < 10; i++) rem = (rem << 1) ^ ((rem >>> 9) * 0x537);
    const bits = ((data << 10) | rem) ^ 0x5412;
    const bit = (i) => ((bits >>> i) & 1) === 1;
    const size = this.size;
    for (let i = 0; i <= 5; i++) this.setFunction(8, i, bit(i));
    this.setFunction(8, 7, bit(6));
    this.setFunction(8, 8, bit(7));
    this.setFunction(7, 8, bit(8));
    for (let i = 9; i < 15; i++) this.setFunction(14 - i, 8, bit(i));
    for (let i = 0; i < 8; i++) this.setFunction(size - 1 - i, 8, bit(i));
    for (let i = 8; i < 15; i++) this.setFunction(8, size - 15 + i, bit(i));
    this.setFunction(8, size - 8, true);
  }

  /** The 18 version bits in both corners, for versions 7 and up. */
  drawVersion() {
    if (this.version < 7) return;
    let rem = this.version;
    for (let i = 0; i < 12; i++) rem = (rem << 1) ^ ((rem >>> 11) * 0x1f25);
    const bits = (this.version << 12) | rem;
    for (let i = 0; i < 18; i++) {
      const dark = ((bits >>> i) & 1) === 1;
      const a = this.size - 11 + (i % 3);
      const b = Math.floor(i / 3);
      this.setFunction(a, b, dark);
      this.setFunction(b, a, dark);
    }
  }

  /** Places the codewords in the standard's two-column zigzag, right to left. */
  drawCodewords(codewords) {
    const size = this.size;
    const total = codewords.length * 8;
    let i = 0;
    for (let right = size - 1; right >= 1; right -= 2) {
      // The vertical timing pattern's column is skipped.
      if (right === 6) right = 5;
      for (let vertical = 0; vertical < size; vertical++) {
        for (let j = 0; j < 2; j++) {
          const x = right - j;
          const upward = ((right + 1) & 2) === 0;
          const y = upward ? size - 1 - vertical : vertical;
          if (!this.function[y * size + x] && i < total) {
            this.dark[y * size + x] = (codewords[i >>> 3] >>> (7 - (i & 7))) & 1;
            i++;
          }
          // Remainder bits, if any, stay light (0), as the standard asks.
        }
      }
    }
  }

  /** Flips every data module where mask pattern `mask` says so; applying twice undoes it. */
  applyMask(mask) {
    const size = this.size;
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        if (this.function[y * size + x]) continue;
        let flip;
        switch (mask) {
          case 0: flip = (x + y) % 2 === 0; break;
          case 1: flip = y % 2 === 0; break;
          case 2: flip = x % 3 === 0; break;
          case 3: flip = (x + y) % 3 === 0; break;
          case 4: flip = (Math.floor(x / 3) + Math.floor(y / 2)) % 2 === 0; break;
          case 5: flip = ((x * y) % 2) + ((x * y) % 3) === 0; break;
          case 6: flip = (((x * y) % 2) + ((x * y) % 3)) % 2 === 0; break;
          default: flip = (((x + y) % 2) + ((x * y) % 3)) % 2 === 0; break;
        }
        if (flip) this.dark[y * size + x] ^= 1;
      }
    }
  }

  /**
   * The standard's penalty score: runs of five or more, 2x2 blocks, finder-like
   * 1:1:3:1:1 patterns with four light modules on a side (the quiet zone counts as
   * light), and the imbalance of dark and light.
   */
  penalty() {
    const size = this.size;
    let result = 0;
    const line = (at) => {
      let runDark = false;
      let run = 0;
      const history = [0, 0, 0, 0, 0, 0, 0];
      const addHistory = (length) => {
        // The light quiet zone before the first run is part of it.
        if (history[0] === 0) length += size;
        history.pop();
        history.unshift(length);
      };
      const finderLike = () => {
        const n = history[1];
        const core = n > 0 && history[2] === n && history[3] === n * 3 && history[4] === n && history[5] === n;
        return (core && history[0] >= n * 4 && history[6] >= n ? 1 : 0) + (core && history[6] >= n * 4 && history[0] >= n ? 1 : 0);
      };
      for (let i = 0; i < size; i++) {
        const dark = at(i);
        if (dark === runDark) {
          run++;
          if (run === 5) result += 3;
          else if (run > 5) result++;
        } else {
          addHistory(run);
          if (!runDark) result += finderLike() * 40;
          runDark = dark;
          run = 1;
        }
      }
      // Close the line: a dark run ends, then the light quiet zone after it.
      if (runDark) {
        addHistory(run);
        run = 0;
      }
      addHistory(run + size);
      result += finderLike() * 40;
    };
    for (let y = 0; y < size; y++) line((x) => this.get(x, y));
    for (let x = 0; x < size; x++) line((y) => this.get(x, y));
    for (let y = 0; y < size - 1; y++) {
      for (let x = 0; x < size - 1; x++) {
        const dark = this.get(x, y);
        if (dark === this.get(x + 1, y) && dark === this.get(x, y + 1) && dark === this.get(x + 1, y + 1)) result += 3;
      }
    }
    let dark = 0;
    for (const module of this.dark) dark += module;
    const total = size * size;
    result += (Math.ceil(Math.abs(dark * 20 - total * 10) / total) - 1) * 10;
    return result;
  }
}

/** The smallest version whose capacity at level M holds `n` digits, or 0 if none does. */
export function versionFor(n) {
  for (let version = 1; version <= 40; version++) {
    const fits = n < 2 ** countBits(version) && 4 + countBits(version) + numericBits(n) <= dataCodewords(version) * 8;
    if (fits) return version;
  }
  return 0;
}

/**
 * Encodes a string of ASCII digits as a QR symbol at level M.
 * @param {string} digits
 * @param {{mask?: number}} [options] `mask` forces a mask pattern (0 to 7) instead of
 *   the lowest-penalty one; for tests that compare symbols with another encoder
 * @returns {{version: number, size: number, mask: number, dark: (x: number, y: number) => boolean}}
 * @throws {QrEncodeError} `not_digits` or `too_long` (over 5596 digits, version 40-M).
 */
export function encodeDigits(digits, options = {}) {
  if (typeof digits !== "string" || !/^[0-9]*$/.test(digits)) {
    throw new QrEncodeError("not_digits", "only the digits 0 to 9 can be encoded");
  }
  const version = versionFor(digits.length);
  if (version === 0) throw new QrEncodeError("too_long", `${digits.length} digits do not fit in one QR code`);
  const codewords = interleave(dataBytes(digits, version), version);
  const matrix = new Matrix(version);
  matrix.drawFunctionPatterns();
  matrix.drawCodewords(codewords);
  let best = 0;
  let bestScore = Infinity;
  const forced = Number.isInteger(options.mask) && options.mask >= 0 && options.mask < 8;
  for (let mask = forced ? options.mask : 0; mask < (forced ? options.mask + 1 : 8); mask++) {
    matrix.applyMask(mask);
    matrix.drawFormat(mask);
    const score = matrix.penalty();
    if (score < bestScore) {
      best = mask;
      bestScore = score;
    }
    matrix.applyMask(mask);
  }
  matrix.applyMask(best);
  matrix.drawFormat(best);
  return { version, size: matrix.size, mask: best, dark: (x, y) => matrix.get(x, y) };
}

/**
 * Draws `qr` on `canvas`, black on white, `modulePx` device pixels a module, with a
 * quiet zone of QUIET_ZONE modules; sets the canvas's pixel size to fit exactly.
 */
export function drawQr(canvas, qr, modulePx) {
  const side = (qr.size + 2 * QUIET_ZONE) * modulePx;
  canvas.width = side;
  canvas.height = side;
  const context = canvas.getContext("2d");
  context.imageSmoothingEnabled = false;
  context.fillStyle = "#ffffff";
  context.fillRect(0, 0, side, side);
  context.fillStyle = "#000000";
  for (let y = 0; y < qr.size; y++) {
    for (let x = 0; x < qr.size; x++) {
      if (qr.dark(x, y)) context.fillRect((x + QUIET_ZONE) * modulePx, (y + QUIET_ZONE) * modulePx, modulePx, modulePx);
    }
  }
}
