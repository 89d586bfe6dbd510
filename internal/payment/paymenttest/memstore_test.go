package paymenttest

import "testing"

func TestMemStoreConformance(t *testing.T) {
	RunOrderStoreTests(t, MemHarness)
}
