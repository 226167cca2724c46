import { childText, findElement, parseXml } from '@p2p/nat'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { errorCode } from './codes.js'

describe('parseXml', () => {
  it('parses elements, prefixes, text, entities, CDATA, comments and attributes', () => {
    const doc = parseXml(
      '<?xml version="1.0"?><!-- c --><s:Envelope a="x>y" b=\'1\'><s:Body><u:R xmlns:u="urn:x">' +
        '<V>1 &amp; 2 &lt;3&gt; &#65;&#x42;</V><E/><C><![CDATA[<raw>&amp;]]></C></u:R></s:Body></s:Envelope>',
    )
    expect(doc.name).toBe('Envelope')
    const r = findElement(doc, 'R')!
    expect(childText(r, 'V')).toBe('1 & 2 <3> AB')
    expect(childText(r, 'E')).toBe('')
    expect(childText(r, 'C')).toBe('<raw>&amp;')
  })

  it.each([
    ['a DOCTYPE', '<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>'],
    ['an unknown entity', '<a>&x;</a>'],
    ['an external entity', '<a>&xxe;</a>'],
    ['an unterminated entity', '<a>&amp</a>'],
    ['a bad character reference', '<a>&#0;</a>'],
    ['mismatched tags', '<a><b></a></b>'],
    ['an unclosed element', '<a><b>'],
    ['two roots', '<a/><b/>'],
    ['text outside the root', 'x<a/>'],
    ['no root', '<!-- only -->'],
    ['an unterminated comment', '<a><!-- </a>'],
    ['a bad tag', '<a>< b></a>'],
  ])('rejects %s with NAT_BAD_XML', (_what, xml) => {
    expect(errorCode(() => parseXml(xml))).toBe('NAT_BAD_XML')
  })

  it('bounds size, depth and element count', () => {
    expect(errorCode(() => parseXml(`<a>${'x'.repeat(70_000)}</a>`))).toBe('NAT_BAD_XML')
    expect(errorCode(() => parseXml(`${'<a>'.repeat(40)}${'</a>'.repeat(40)}`))).toBe('NAT_BAD_XML')
    expect(errorCode(() => parseXml(`<a>${'<b/>'.repeat(5000)}</a>`))).toBe('NAT_BAD_XML')
    expect(parseXml(`<a>${'<b/>'.repeat(100)}</a>`).children).toHaveLength(100)
  })

  it('never throws anything but NatError on arbitrary input', () => {
    const alphabet = fc.constantFrom(
      '<',
      '>',
      '/',
      '!',
      '?',
      '&',
      ';',
      '#',
      'a',
      'b',
      ':',
      '"',
      "'",
      ' ',
      '-',
      '[',
      ']',
      'x',
    )
    fc.assert(
      fc.property(fc.string({ unit: alphabet, maxLength: 60 }), (s) => {
        const c = errorCode(() => parseXml(s))
        expect(c === undefined || c === 'NAT_BAD_XML').toBe(true)
      }),
      { numRuns: 2000 },
    )
  })
})
