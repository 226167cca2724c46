// Types for the npm `bencode` package (a dev dependency, used as the differential-test reference).
declare module 'bencode' {
  function encode(value: unknown): Uint8Array
  function decode(bytes: Uint8Array): unknown
  const bencode: { encode: typeof encode; decode: typeof decode }
  export default bencode
}
