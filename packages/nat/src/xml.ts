import { NatError } from './errors.js'

/** One element of a parsed XML document: local name (prefix dropped), text and children. */
export interface XmlElement {
  /** Local name, without a namespace prefix (`s:Envelope` -> `Envelope`). */
  name: string
  /** The element's own text (character data and CDATA), entities decoded. */
  text: string
  /** Child elements in document order. */
  children: XmlElement[]
}

/** Bounds of {@link parseXml}. */
export interface XmlLimits {
  /** Largest document in characters. Default 64 KiB (device descriptions are a few KiB). */
  maxLength?: number
  /** Deepest nesting. Default 32. */
  maxDepth?: number
  /** Most elements. Default 4096. */
  maxElements?: number
}

const DEFAULT_MAX_LENGTH = 64 * 1024
const DEFAULT_MAX_DEPTH = 32
const DEFAULT_MAX_ELEMENTS = 4096
const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" }
const NAME = /^[A-Za-z_][\w.:-]*/

function bad(message: string): NatError {
  return new NatError('NAT_BAD_XML', message)
}

/** Decodes the five predefined entities and character references; any other entity is an error. */
function decodeText(raw: string): string {
  return raw.replace(/&([^;&]{0,10});?/g, (whole, ref: string) => {
    if (!whole.endsWith(';')) throw bad(`unterminated entity reference ${JSON.stringify(whole)}`)
    const predefined = PREDEFINED[ref]
    if (predefined !== undefined) return predefined
    const num = /^#(?:x([0-9a-fA-F]{1,6})|([0-9]{1,7}))$/.exec(ref)
    const code = num ? Number.parseInt(num[1] ?? num[2]!, num[1] ? 16 : 10) : Number.NaN
    if (!(code > 0 && code <= 0x10ffff)) throw bad(`unsupported entity &${ref};`)
    return String.fromCodePoint(code)
  })
}

function localName(qname: string): string {
  const colon = qname.indexOf(':')
  return colon < 0 ? qname : qname.slice(colon + 1)
}

/**
 * Parses the small XML documents a gateway sends (device descriptions, SOAP replies) into a tree.
 * Deliberately minimal and safe: a DOCTYPE (and so any entity declaration) is rejected, only the five
 * predefined entities and character references are decoded, and size, depth and element count are
 * bounded. Attributes are skipped; UPnP carries everything in element text.
 *
 * @throws {NatError} `NAT_BAD_XML` for anything malformed or over a limit.
 * @example
 * ```ts
 * parseXml('<a><b>1 &amp; 2</b></a>').children[0].text // '1 & 2'
 * ```
 */
export function parseXml(xml: string, limits: XmlLimits = {}): XmlElement {
  const maxLength = limits.maxLength ?? DEFAULT_MAX_LENGTH
  const maxDepth = limits.maxDepth ?? DEFAULT_MAX_DEPTH
  const maxElements = limits.maxElements ?? DEFAULT_MAX_ELEMENTS
  if (xml.length > maxLength) throw bad(`document of ${xml.length} characters exceeds ${maxLength}`)
  const root: XmlElement = { name: '', text: '', children: [] }
  const stack: { element: XmlElement; qname: string }[] = [{ element: root, qname: '' }]
  let elements = 0
  let i = 0
  const expectEnd = (end: string, what: string): number => {
    const at = xml.indexOf(end, i)
    if (at < 0) throw bad(`unterminated ${what} at ${i}`)
    return at + end.length
  }
  while (i < xml.length) {
    const lt = xml.indexOf('<', i)
    const textEnd = lt < 0 ? xml.length : lt
    const top = stack[stack.length - 1]!
    if (textEnd > i) {
      const raw = xml.slice(i, textEnd)
      if (stack.length === 1 && raw.trim() !== '') throw bad(`text outside the root element at ${i}`)
      top.element.text += decodeText(raw)
    }
    if (lt < 0) break
    i = lt
    if (xml.startsWith('<?', i)) i = expectEnd('?>', 'processing instruction')
    else if (xml.startsWith('<!--', i)) i = expectEnd('-->', 'comment')
    else if (xml.startsWith('<![CDATA[', i)) {
      const end = expectEnd(']]>', 'CDATA section')
      top.element.text += xml.slice(i + 9, end - 3)
      i = end
    } else if (xml.startsWith('<!', i)) throw bad(`DOCTYPE and declarations are not accepted (at ${i})`)
    else if (xml.startsWith('</', i)) {
      const end = expectEnd('>', 'end tag')
      const qname = xml.slice(i + 2, end - 1).trim()
      if (stack.length === 1 || qname !== top.qname) throw bad(`unexpected </${qname}> at ${i}`)
      stack.pop()
      i = end
    } else {
      const match = NAME.exec(xml.slice(i + 1, i + 1 + 256))
      if (!match) throw bad(`bad tag at ${i}`)
      const qname = match[0]
      let j = i + 1 + qname.length
      // Skip attributes, honouring quotes so a '>' inside a value does not end the tag.
      let quote = ''
      for (; j < xml.length; j++) {
        const c = xml[j]!
        if (quote) {
          if (c === quote) quote = ''
        } else if (c === '"' || c === "'") quote = c
        else if (c === '>') break
      }
      if (j >= xml.length) throw bad(`unterminated tag <${qname}`)
      if (stack.length === 1 && root.children.length > 0) throw bad('more than one root element')
      if (++elements > maxElements) throw bad(`more than ${maxElements} elements`)
      const element: XmlElement = { name: localName(qname), text: '', children: [] }
      top.element.children.push(element)
      if (xml[j - 1] !== '/') {
        if (stack.length > maxDepth) throw bad(`nesting deeper than ${maxDepth}`)
        stack.push({ element, qname })
      }
      i = j + 1
    }
  }
  if (stack.length !== 1) throw bad(`unclosed <${stack[stack.length - 1]!.qname}>`)
  const doc = root.children[0]
  if (!doc) throw bad('no root element')
  return doc
}

/** The first descendant (depth first, including `element` itself) named `name`. */
export function findElement(element: XmlElement, name: string): XmlElement | undefined {
  if (element.name === name) return element
  for (const child of element.children) {
    const found = findElement(child, name)
    if (found) return found
  }
  return undefined
}

/** Text of the direct child named `name`, trimmed, or undefined. */
export function childText(element: XmlElement, name: string): string | undefined {
  return element.children.find((c) => c.name === name)?.text.trim()
}
