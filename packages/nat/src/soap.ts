import { NatError } from './errors.js'
import { childText, findElement, parseXml } from './xml.js'

/** UPnP error codes of WANIPConnection the mapper reacts to (IGD v2 spec, 2.4.16). */
export const UPNP_ERROR = {
  /** ConflictInMappingEntry: the external port is taken. */
  conflict: 718,
  /** SamePortValuesRequired: internal and external port must be equal. */
  samePortRequired: 724,
  /** OnlyPermanentLeasesSupported: lease duration must be 0. */
  onlyPermanentLeases: 725,
  /** ExternalPortOnlySupportsWildcard. */
  wildcardExternalPort: 727,
  /** ConflictWithOtherMechanisms: another protocol (NAT-PMP, PCP) holds the port. */
  conflictWithOtherMechanisms: 729,
} as const

function escapeXml(value: string): string {
  return value.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

/**
 * A SOAP request body calling `action` of `serviceType` with `args` (in the order given, as UPnP requires).
 *
 * @example
 * ```ts
 * encodeSoapRequest(type, 'GetExternalIPAddress', {})
 * ```
 */
export function encodeSoapRequest(
  serviceType: string,
  action: string,
  args: Record<string, string | number>,
): string {
  const body = Object.entries(args)
    .map(([k, v]) => `<${k}>${escapeXml(String(v))}</${k}>`)
    .join('')
  return (
    '<?xml version="1.0"?>\r\n' +
    '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/">' +
    `<s:Body><u:${action} xmlns:u="${escapeXml(serviceType)}">${body}</u:${action}></s:Body></s:Envelope>`
  )
}

/**
 * Parses a SOAP reply to `action`: the output arguments by name, or a UPnP fault as an error.
 *
 * @throws {NatError} `NAT_REFUSED` (with `detail` = UPnP errorCode) for a fault; `NAT_BAD_XML` or
 * `NAT_BAD_REPLY` for anything unreadable.
 */
export function parseSoapResponse(xml: string, action: string): Map<string, string> {
  const doc = parseXml(xml)
  const fault = findElement(doc, 'Fault')
  if (fault) {
    const upnpError = findElement(fault, 'UPnPError')
    const code = Number(upnpError && childText(upnpError, 'errorCode'))
    const description = (upnpError && childText(upnpError, 'errorDescription')) ?? ''
    throw new NatError(
      'NAT_REFUSED',
      `${action} refused: UPnP error ${Number.isInteger(code) ? code : '?'} ${description.slice(0, 100)}`,
      Number.isInteger(code) ? code : undefined,
    )
  }
  const response = findElement(doc, `${action}Response`)
  if (!response) throw new NatError('NAT_BAD_REPLY', `SOAP reply has no ${action}Response`)
  return new Map(response.children.map((c) => [c.name, c.text.trim()]))
}
