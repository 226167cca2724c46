import { NatError } from './errors.js'
import { childText, type XmlElement } from './xml.js'

/** WAN connection service types, preferred first. */
export const WAN_SERVICE_TYPES = [
  'urn:schemas-upnp-org:service:WANIPConnection:2',
  'urn:schemas-upnp-org:service:WANIPConnection:1',
  'urn:schemas-upnp-org:service:WANPPPConnection:1',
] as const

/** The WAN connection service of an Internet Gateway Device. */
export interface IgdService {
  /** The service type, e.g. `urn:schemas-upnp-org:service:WANIPConnection:2`. */
  serviceType: string
  /** Absolute URL to POST SOAP actions to. */
  controlUrl: string
}

function collectServices(element: XmlElement, out: XmlElement[]): void {
  for (const child of element.children) {
    if (child.name === 'service') out.push(child)
    else collectServices(child, out)
  }
}

/**
 * Finds the preferred WAN connection service in a parsed device description and resolves its control URL
 * against `URLBase` or the description's own URL. The control URL must stay on the description's host:
 * a description cannot point our SOAP requests at a third party.
 *
 * @throws {NatError} `NAT_NO_IGD` when there is no usable service.
 */
export function findWanService(description: XmlElement, descriptionUrl: string): IgdService {
  const services: XmlElement[] = []
  collectServices(description, services)
  const base = childText(description, 'URLBase') || descriptionUrl
  const origin = new URL(descriptionUrl)
  for (const type of WAN_SERVICE_TYPES) {
    const service = services.find((s) => childText(s, 'serviceType') === type)
    const control = service && childText(service, 'controlURL')
    if (!control) continue
    let url: URL
    try {
      url = new URL(control, base)
    } catch {
      continue
    }
    if (url.protocol !== 'http:' || url.hostname !== origin.hostname) continue
    return { serviceType: type, controlUrl: url.href }
  }
  throw new NatError('NAT_NO_IGD', 'device description has no WANIPConnection or WANPPPConnection service')
}
