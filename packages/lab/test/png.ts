import { inflateSync } from 'node:zlib'

/** A decoded RGBA image. */
export interface Rgba {
  width: number
  height: number
  /** 4 bytes a pixel, rows top to bottom. */
  data: Uint8Array
}

/** Decodes an 8-bit RGB or RGBA, non-interlaced PNG (what Chromium's screenshots are). */
export function decodePng(png: Uint8Array): Rgba {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength)
  let width = 0
  let height = 0
  let channels = 4
  const idat: Uint8Array[] = []
  for (let o = 8; o < png.length; ) {
    const len = view.getUint32(o)
    const type = String.fromCharCode(...png.subarray(o + 4, o + 8))
    const body = png.subarray(o + 8, o + 8 + len)
    if (type === 'IHDR') {
      width = view.getUint32(o + 8)
      height = view.getUint32(o + 12)
      const [depth, color, , , interlace] = body.subarray(8, 13)
      if (depth !== 8 || (color !== 6 && color !== 2) || interlace !== 0)
        throw new Error(`unsupported PNG: depth ${depth}, color ${color}, interlace ${interlace}`)
      channels = color === 6 ? 4 : 3
    } else if (type === 'IDAT') idat.push(body)
    o += 12 + len
  }
  const raw = inflateSync(Buffer.concat(idat))
  const stride = width * channels
  const out = new Uint8Array(width * height * 4)
  let prev = new Uint8Array(stride)
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1))
    const cur = new Uint8Array(stride)
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? cur[x - channels]! : 0
      const b = prev[x]!
      const c = x >= channels ? prev[x - channels]! : 0
      const p = a + b - c
      const pa = Math.abs(p - a)
      const pb = Math.abs(p - b)
      const pc = Math.abs(p - c)
      const pred = [0, a, b, (a + b) >> 1, pa <= pb && pa <= pc ? a : pb <= pc ? b : c][filter]!
      cur[x] = (line[x]! + pred) & 255
    }
    for (let x = 0; x < width; x++) {
      for (let k = 0; k < 3; k++) out[(y * width + x) * 4 + k] = cur[x * channels + k]!
      out[(y * width + x) * 4 + 3] = channels === 4 ? cur[x * channels + 3]! : 255
    }
    prev = cur
  }
  return { width, height, data: out }
}

/** Pixels in the box that are not (near) white, and the distinct colors among them. */
export function inkIn(img: Rgba, box: { x: number; y: number; width: number; height: number }) {
  let ink = 0
  const colors = new Set<number>()
  const x1 = Math.min(img.width, Math.ceil(box.x + box.width))
  const y1 = Math.min(img.height, Math.ceil(box.y + box.height))
  for (let y = Math.max(0, Math.floor(box.y)); y < y1; y++) {
    for (let x = Math.max(0, Math.floor(box.x)); x < x1; x++) {
      const i = (y * img.width + x) * 4
      const [r, g, b] = [img.data[i]!, img.data[i + 1]!, img.data[i + 2]!]
      if (r < 235 || g < 235 || b < 235) {
        ink++
        colors.add((r << 16) | (g << 8) | b)
      }
    }
  }
  return { ink, colors: colors.size }
}
