package ctid

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
)

// The CTID channel's wire shape, as published by channel integrators:
//
//  1. POST {base}/auth/token {appId, timestamp, nonce, sign} → accessToken
//     (sign = hex HMAC-SHA256(appSecret, "appId\ntimestamp\nnonce\n")).
//  2. POST {base}/idauth/validateIdentity/apply/{authMode} (headers
//     Authorization: Bearer token, appId) → bizSerialNum, randNum.
//  3. POST {base}/idauth/validateIdentity/request/{authMode} {bizSerialNum,
//     nonce, data} where data is the sealed JSON {name, number, photoData,
//     validDateStart, validDateEnd}; the answer's data is sealed the same way.
//
// Envelope: {"code":"0","message":"…","data":…}; code "0" is success.
// Sealing: AES-256-GCM, key = HMAC-SHA256(appSecret, "ctid-payload\n"+randNum),
// 12-byte random nonce (hex in the JSON), AAD = bizSerialNum, base64 data.
// The per-request randNum makes every request's key different. Channels
// differ in the cipher they mandate (some use SM4 or RSA envelopes): this
// file is the only place to change when a channel is contracted.

// Result codes inside the sealed answer.
const (
	ResultPass         = "0"
	ResultMismatch     = "1" // name and number do not match
	ResultNoRecord     = "2"
	ResultNoPhoto      = "3"
	ResultFaceMismatch = "4"
)

// Envelope codes.
const (
	CodeOK           = "0"
	CodeTokenInvalid = "401" // token expired or unknown: fetch a new one
	CodeBadSign      = "403" // wrong appId/appSecret
	CodeBadRequest   = "400"
	CodeBusy         = "503"
)

// PayloadKey derives the per-request key.
func PayloadKey(appSecret, randNum string) []byte {
	m := hmac.New(sha256.New, []byte(appSecret))
	m.Write([]byte("ctid-payload\n" + randNum))
	return m.Sum(nil)
}

// TokenSign is the hex signature of the token request.
func TokenSign(appSecret, appID, timestamp, nonce string) string {
	m := hmac.New(sha256.New, []byte(appSecret))
	m.Write([]byte(appID + "\n" + timestamp + "\n" + nonce + "\n"))
	return hex.EncodeToString(m.Sum(nil))
}

// Seal encrypts plaintext for one request.
func Seal(key []byte, serial string, plaintext []byte) (nonceHex, data string, err error) {
	gcm, err := newGCM(key)
	if err != nil {
		return "", "", err
	}
	nonce := make([]byte, gcm.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", "", err
	}
	return hex.EncodeToString(nonce), base64.StdEncoding.EncodeToString(gcm.Seal(nil, nonce, plaintext, []byte(serial))), nil
}

// Open decrypts a sealed payload.
func Open(key []byte, serial, nonceHex, data string) ([]byte, error) {
	gcm, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	nonce, err := hex.DecodeString(nonceHex)
	if err != nil || len(nonce) != gcm.NonceSize() {
		return nil, errors.New("ctid: bad payload nonce")
	}
	ct, err := base64.StdEncoding.DecodeString(data)
	if err != nil {
		return nil, errors.New("ctid: payload is not base64")
	}
	pt, err := gcm.Open(nil, nonce, ct, []byte(serial))
	if err != nil {
		return nil, errors.New("ctid: payload authentication failed")
	}
	return pt, nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

// SealedRequest is the plaintext of step 3.
type SealedRequest struct {
	Name           string `json:"name"`
	Number         string `json:"number"`
	PhotoData      string `json:"photoData,omitempty"` // base64 JPEG
	ValidDateStart string `json:"validDateStart,omitempty"`
	ValidDateEnd   string `json:"validDateEnd,omitempty"`
}

// SealedResult is the plaintext of step 3's answer.
type SealedResult struct {
	ResultCode string `json:"resultCode"`
	Similarity int    `json:"similarity"` // 0–100, 0x42 only
	ResultMsg  string `json:"resultMsg"`
}
