package wechatfake

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Forgery kinds for NotifyMode.Forge.
const (
	ForgeNone      = ""
	ForgeSignature = "signature" // signed with a key that is not WeChat Pay's
	ForgeSerial    = "serial"    // Wechatpay-Serial names an unknown key
	ForgeStale     = "stale"     // timestamp 10 minutes old (validly signed)
	ForgeTamper    = "tamper"    // ciphertext altered after signing
	ForgeCipher    = "cipher"    // ciphertext corrupted, then signed (decrypt fails)
	ForgeAmount    = "amount"    // genuine envelope, amount.total off by one fen
	ForgeReplay    = "replay"    // the byte-identical request delivered twice
)

// NotifyMode controls how the simulator delivers notifications.
type NotifyMode struct {
	Duplicates int           // extra copies (same id, fresh timestamp/signature), delivered concurrently
	Delay      time.Duration // wait before the first delivery
	OutOfOrder bool          // copies built later are delivered before the original
	Forge      string        // one of the Forge* kinds
	Retries    int           // re-deliveries of a copy answered non-2xx
	RetryEvery time.Duration // default 200 ms
}

// SetNotifyMode sets the mode used by refunds and by pages that do not choose one.
func (s *Sim) SetNotifyMode(m NotifyMode) {
	s.mu.Lock()
	s.notify = m
	s.mu.Unlock()
}

// Delivery records one notification POST and our answer.
type Delivery struct {
	Event   string // TRANSACTION.SUCCESS, REFUND.SUCCESS, …
	Ref     string // out_trade_no or out_refund_no
	ID      string // notification id
	Forge   string
	Attempt int
	Status  int    // HTTP status we answered, 0 on transport error
	Body    string // our answer body (FAIL message)
	Err     string
}

// Deliveries returns every delivery made so far.
func (s *Sim) Deliveries() []Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Delivery(nil), s.deliveries...)
}

// WaitDeliveries waits until at least n deliveries were made or timeout passed.
func (s *Sim) WaitDeliveries(n int, timeout time.Duration) []Delivery {
	deadline := time.Now().Add(timeout)
	for {
		d := s.Deliveries()
		if len(d) >= n || time.Now().After(deadline) {
			return d
		}
		time.Sleep(5 * time.Millisecond)
	}
}

type notifyRequest struct {
	body    []byte
	headers http.Header
}

// buildNotification makes the signed, encrypted envelope for resource.
func (s *Sim) buildNotification(id, event, original, summary string, resource map[string]any, forge string) (notifyRequest, error) {
	res := resource
	if forge == ForgeAmount {
		res = cloneMap(resource)
		if amt, ok := res["amount"].(map[string]any); ok {
			a := cloneMap(amt)
			a["total"] = a["total"].(int64) + 1
			if _, ok := a["payer_total"]; ok {
				a["payer_total"] = a["total"]
			}
			res["amount"] = a
		}
	}
	plain, err := json.Marshal(res)
	if err != nil {
		return notifyRequest{}, err
	}
	nonce, ct, err := encryptResource([]byte(s.opts.APIv3Key), plain, original)
	if err != nil {
		return notifyRequest{}, err
	}
	if forge == ForgeCipher {
		ct = flipBase64(ct)
	}
	now := s.now()
	env := map[string]any{
		"id": id, "create_time": now.In(cst).Format(time.RFC3339), "resource_type": "encrypt-resource",
		"event_type": event, "summary": summary,
		"resource": map[string]any{"original_type": original, "algorithm": "AEAD_AES_256_GCM",
			"ciphertext": ct, "associated_data": original, "nonce": nonce},
	}
	body, _ := json.Marshal(env)
	ts := time.Now().Unix() // wall clock: the receiver's SDK checks it against time.Now
	if forge == ForgeStale {
		ts -= 600
	}
	tsStr := strconv.FormatInt(ts, 10)
	sigNonce := randAlnum(32)
	key := s.opts.PlatformKey
	if forge == ForgeSignature {
		if key, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			return notifyRequest{}, err
		}
	}
	sig, err := signRSA(key, tsStr+"\n"+sigNonce+"\n"+string(body)+"\n")
	if err != nil {
		return notifyRequest{}, err
	}
	if forge == ForgeTamper {
		var e map[string]any
		_ = json.Unmarshal(body, &e)
		r := e["resource"].(map[string]any)
		r["ciphertext"] = flipBase64(r["ciphertext"].(string))
		body, _ = json.Marshal(e)
	}
	serial := s.signingSerial()
	if forge == ForgeSerial {
		serial = "PUB_KEY_ID_0000000000000000000000000000000000"
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", "Mozilla/4.0")
	h.Set("Wechatpay-Timestamp", tsStr)
	h.Set("Wechatpay-Nonce", sigNonce)
	h.Set("Wechatpay-Signature", sig)
	h.Set("Wechatpay-Serial", serial)
	h.Set("Wechatpay-Signature-Type", "WECHATPAY2-SHA256-RSA2048")
	return notifyRequest{body: body, headers: h}, nil
}

func cloneMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// flipBase64 decodes, flips one bit and re-encodes.
func flipBase64(s string) string {
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(raw) == 0 {
		return s + "A"
	}
	raw[0] ^= 0x01
	return base64.StdEncoding.EncodeToString(raw)
}

// deliver sends the notification (plus duplicates) in background goroutines
// owned by the simulator.
func (s *Sim) deliver(url, event, original, summary string, resource map[string]any, mode NotifyMode, ref string) {
	id := randUUID()
	copies := 1 + mode.Duplicates
	if mode.Forge == ForgeReplay && copies < 2 {
		copies = 2
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if mode.Delay > 0 && !s.sleep(mode.Delay) {
			return
		}
		var reqs []notifyRequest
		for i := 0; i < copies; i++ {
			if mode.Forge == ForgeReplay && i > 0 {
				reqs = append(reqs, reqs[0])
				continue
			}
			nr, err := s.buildNotification(id, event, original, summary, resource, mode.Forge)
			if err != nil {
				s.record(Delivery{Event: event, Ref: ref, ID: id, Forge: mode.Forge, Err: err.Error()})
				return
			}
			reqs = append(reqs, nr)
		}
		if mode.OutOfOrder {
			for i, j := 0, len(reqs)-1; i < j; i, j = i+1, j-1 {
				reqs[i], reqs[j] = reqs[j], reqs[i]
			}
		}
		if mode.Forge == ForgeReplay || mode.OutOfOrder {
			// Sequential, in the chosen order.
			for _, nr := range reqs {
				s.post(url, nr, event, ref, id, mode)
			}
			return
		}
		var wg sync.WaitGroup
		for _, nr := range reqs {
			wg.Add(1)
			go func(nr notifyRequest) {
				defer wg.Done()
				s.post(url, nr, event, ref, id, mode)
			}(nr)
		}
		wg.Wait()
	}()
}

func (s *Sim) sleep(d time.Duration) bool {
	select {
	case <-s.ctx.Done():
		return false
	case <-time.After(d):
		return true
	}
}

func (s *Sim) post(url string, nr notifyRequest, event, ref, id string, mode NotifyMode) {
	every := mode.RetryEvery
	if every <= 0 {
		every = 200 * time.Millisecond
	}
	for attempt := 1; ; attempt++ {
		d := Delivery{Event: event, Ref: ref, ID: id, Forge: mode.Forge, Attempt: attempt}
		req, err := http.NewRequestWithContext(s.ctx, http.MethodPost, url, bytes.NewReader(nr.body))
		if err != nil {
			d.Err = err.Error()
			s.record(d)
			return
		}
		req.Header = nr.headers.Clone()
		resp, err := s.hc.Do(req)
		if err != nil {
			d.Err = err.Error()
		} else {
			b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			resp.Body.Close()
			d.Status, d.Body = resp.StatusCode, string(b)
		}
		s.record(d)
		if (d.Status >= 200 && d.Status < 300) || attempt > mode.Retries || !s.sleep(every) {
			return
		}
	}
}

func (s *Sim) record(d Delivery) {
	s.mu.Lock()
	s.deliveries = append(s.deliveries, d)
	s.mu.Unlock()
	if d.Status < 200 || d.Status >= 300 {
		s.log.Info("wechatfake: notification not acknowledged", "event", d.Event, "forge", d.Forge, "status", d.Status, "err", d.Err)
	}
}

func randUUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// POST /sim/notify-mode {"duplicates":2,"delay_ms":500,"out_of_order":true,"forge":"amount","retries":3}
// sets the default delivery mode (dev knob).
func (s *Sim) notifyModeHandler(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Duplicates int    `json:"duplicates"`
		DelayMS    int    `json:"delay_ms"`
		OutOfOrder bool   `json:"out_of_order"`
		Forge      string `json:"forge"`
		Retries    int    `json:"retries"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&req); err != nil ||
		req.Duplicates < 0 || req.Duplicates > 20 || req.DelayMS < 0 || req.DelayMS > 600000 || req.Retries < 0 || req.Retries > 15 {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "参数无效"})
		return
	}
	switch req.Forge {
	case ForgeNone, ForgeSignature, ForgeSerial, ForgeStale, ForgeTamper, ForgeCipher, ForgeAmount, ForgeReplay:
	default:
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "未知的伪造类型"})
		return
	}
	m := NotifyMode{Duplicates: req.Duplicates, Delay: time.Duration(req.DelayMS) * time.Millisecond,
		OutOfOrder: req.OutOfOrder, Forge: req.Forge, Retries: req.Retries}
	s.SetNotifyMode(m)
	writeJSON(w, http.StatusOK, map[string]any{"ok": true})
}
