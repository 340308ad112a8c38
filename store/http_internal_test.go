package store

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// The default client gives up on a server that never sends headers.
func TestHTTPHeaderTimeout(t *testing.T) {
	defer func(d time.Duration) { httpHeaderTimeout = d }(httpHeaderTimeout)
	httpHeaderTimeout = 100 * time.Millisecond
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	s := NewHTTP(srv.URL, nil)
	done := make(chan error, 1)
	go func() {
		_, err := s.Get(context.Background(), "k")
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("Get of a silent server succeeded")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Get of a silent server did not time out")
	}
}
