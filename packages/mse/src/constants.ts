/** The spec's 768-bit safe prime P (big-endian). */
export const MSE_PRIME = Buffer.from(
  'FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A63A36210000000000090563',
  'hex',
)
/** The spec's generator G. */
export const MSE_GENERATOR = 2
/** Bytes of a public key Y and of the secret S ("P, S, Ya and Yb are 768bits long"). */
export const DH_KEY_LENGTH = 96
/** Bytes of our private key X (the spec recommends 160 bits). */
export const PRIVATE_KEY_LENGTH = 20
/** Longest PadA/PadB/PadC/PadD ("0 to 512 bytes"). */
export const MAX_PAD = 512
/** Bytes of a SHA-1 `HASH()`. */
export const HASH_LENGTH = 20
/** Bytes of the verification constant VC (eight zero bytes). */
export const VC_LENGTH = 8
/** Largest initial payload IA (`len(IA)` is two bytes). */
export const MAX_IA = 0xffff
/** `crypto_provide`/`crypto_select` bit: plaintext after the handshake. */
export const CRYPTO_PLAINTEXT = 0x01
/** `crypto_provide`/`crypto_select` bit: RC4 for the whole stream. */
export const CRYPTO_RC4 = 0x02
/** Responder: `HASH('req1', S)` must end within this many bytes of the connection start (96 + 512 + 20). */
export const REQ1_SYNC_LIMIT = DH_KEY_LENGTH + MAX_PAD + HASH_LENGTH
/** Initiator: `ENCRYPT(VC)` must end within this many bytes of the connection start (96 + 512 + 8). */
export const VC_SYNC_LIMIT = DH_KEY_LENGTH + MAX_PAD + VC_LENGTH
/** The first bytes of a plain BitTorrent handshake: `\x13BitTorrent protocol`. */
export const PLAIN_PREFIX = Buffer.from('\x13BitTorrent protocol', 'latin1')
