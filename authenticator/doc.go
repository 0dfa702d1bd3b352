// Package authenticator is the software-authenticator half of otpair: the user's
// accounts (a provisioning.Key each, with an id, a label and, for HOTP, the counter) kept
// in one vault file.
//
// The vault is an age-encrypted file (filippo.io/age) in the data folder, so a user can
// always decrypt it with the standard age tool. It is always encrypted to an X25519
// identity made for it; the protection is where that identity lives, which vault.json
// records:
//
//   - OS keyring: one item (service "otpair") in the OS keyring through
//     zalando/go-keyring. One keyring read opens every account.
//   - passphrase: identity.age next to the vault, the identity encrypted with age's
//     scrypt recipient, for machines where no keyring is reachable (no D-Bus session, no
//     Secret Service, a locked keyring, a keyring that does not answer in time). Opening
//     runs scrypt once; writes then use the identity held in memory. Vaults from older
//     versions, encrypted with the passphrase directly, still open and move to
//     identity.age at their next write.
//
// A new vault takes the keyring when one answers and a passphrase otherwise, and says
// why; an existing vault is never moved from one protection to the other except by
// Rekey. Every write is a read-modify-write under an exclusive lock file, written to a
// temporary file, synced and renamed over the old vault, so two processes never lose
// each other's changes and a crash leaves the old or the new vault, never a torn one.
// A vault that does not decrypt or parse is never overwritten. One size limit serves
// the reader and the writer, and every key stored meets provisioning's limits, so no
// change leaves a vault that no longer opens; Repair gets back one that older versions
// let grow too large.
//
// The package is plain Go: methods take a context, return errors and never touch the
// terminal; cmd/otpair supplies the keyring, the passphrase prompt and the clock.
package authenticator
