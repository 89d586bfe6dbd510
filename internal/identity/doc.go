// Package identity validates and normalises the identity document numbers that
// students use to link to a school roster (resident ID, residence permits,
// foreign permanent resident IDs, travel permits, passports), masks them for
// display, and encrypts them at rest with a keyed blind index for lookups.
//
// Nothing in this package logs or formats a document number into an error:
// errors carry the kind and the failed rule, never the value.
package identity
