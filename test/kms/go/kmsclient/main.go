// kmsclient: Keyhold driven by Go's net/http with the HTTP transport of kms-go's
// kes.NewClientWithConfig (what MinIO uses: HTTP/2 forced, Go's default of two idle
// connections per host, no TLS session cache). Standard library only, so it builds offline.
//
// Usage: kmsclient -url URL -cert C -key K -cacert CA -key-name NAME -identity ID [-callers 16 -calls 64]
//
// It follows the audit log, creates a key, runs generate+decrypt from concurrent callers, lists
// keys, checks the audit stream saw the calls, cancels the stream, and makes one more call. It
// prints one JSON line per step: {"step":..,"ok":..,"error":..,"value":..}; exits 1 if a step failed.
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

var (
	base     string
	client   *http.Client
	dials    int64
	failed   bool
	protosMu sync.Mutex
	protos   = map[string]int{}
)

func main() {
	var cert, key, cacert, keyName, identity string
	var callers, calls int
	flag.StringVar(&base, "url", "", "server URL")
	flag.StringVar(&cert, "cert", "", "client certificate")
	flag.StringVar(&key, "key", "", "client private key")
	flag.StringVar(&cacert, "cacert", "", "CA of the server certificate")
	flag.StringVar(&keyName, "key-name", "go-client-key", "key to create and use")
	flag.StringVar(&identity, "identity", "", "the identity the server must see")
	flag.IntVar(&callers, "callers", 16, "concurrent callers")
	flag.IntVar(&calls, "calls", 64, "generate+decrypt pairs in total")
	flag.Parse()

	var err error
	client, err = newClient(cert, key, cacert)
	if err != nil {
		fmt.Fprintln(os.Stderr, "kmsclient:", err)
		os.Exit(2)
	}

	// The audit stream first, so that it sees every later call.
	ctx, cancel := context.WithCancel(context.Background())
	lines := make(chan string, 1024)
	streamEnded := make(chan error, 1)
	step("audit-open", func() (interface{}, error) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/v1/log/audit", nil)
		resp, err := do(req)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode != 200 {
			return nil, fmt.Errorf("status %d", resp.StatusCode)
		}
		go func() {
			sc := bufio.NewScanner(resp.Body)
			for sc.Scan() {
				lines <- sc.Text()
			}
			streamEnded <- sc.Err()
			resp.Body.Close()
		}()
		return map[string]string{"proto": resp.Proto, "content_type": resp.Header.Get("Content-Type")}, nil
	})

	step("self", func() (interface{}, error) {
		var out struct {
			Identity string `json:"identity"`
			IsAdmin  bool   `json:"admin"`
		}
		if err := call(http.MethodGet, "/v1/identity/self/describe", nil, 200, &out); err != nil {
			return nil, err
		}
		if identity != "" && out.Identity != identity {
			return nil, fmt.Errorf("server saw identity %s, want %s", out.Identity, identity)
		}
		return out, nil
	})

	step("create", func() (interface{}, error) {
		return nil, call(http.MethodPost, "/v1/key/create/"+keyName, nil, 200, nil)
	})

	step("generate-decrypt", func() (interface{}, error) {
		var next, done, mismatches int64
		var errMu sync.Mutex
		var firstErr error
		var wg sync.WaitGroup
		for c := 0; c < callers; c++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for atomic.AddInt64(&next, 1) <= int64(calls) {
					if err := generateDecrypt(keyName, &mismatches); err != nil {
						errMu.Lock()
						if firstErr == nil {
							firstErr = err
						}
						errMu.Unlock()
						return
					}
					atomic.AddInt64(&done, 1)
				}
			}()
		}
		wg.Wait()
		if firstErr != nil {
			return nil, firstErr
		}
		if mismatches > 0 {
			return nil, fmt.Errorf("%d decrypts returned another plaintext", mismatches)
		}
		return map[string]int64{"pairs": done}, nil
	})

	step("list", func() (interface{}, error) {
		var out struct {
			Names []string `json:"names"`
		}
		if err := call(http.MethodGet, "/v1/key/list/"+keyName[:1]+"*", nil, 200, &out); err != nil {
			return nil, err
		}
		for _, n := range out.Names {
			if n == keyName {
				return out.Names, nil
			}
		}
		return nil, fmt.Errorf("%s not in %v", keyName, out.Names)
	})

	step("audit-events", func() (interface{}, error) {
		want := 2 * calls // every generate and decrypt
		seen := 0
		integerTime := true
		deadline := time.After(10 * time.Second)
		for seen < want {
			select {
			case l := <-lines:
				var ev struct {
					Request struct {
						IP       string `json:"ip"`
						Path     string `json:"path"`
						Identity string `json:"identity"`
					} `json:"request"`
					Response struct {
						Code int             `json:"code"`
						Time json.RawMessage `json:"time"`
					} `json:"response"`
				}
				if err := json.Unmarshal([]byte(l), &ev); err != nil {
					return nil, fmt.Errorf("audit line %q: %v", l, err)
				}
				if ev.Request.Path == "/v1/key/generate/"+keyName || ev.Request.Path == "/v1/key/decrypt/"+keyName {
					if ev.Response.Code != 200 || ev.Request.IP == "" || (identity != "" && ev.Request.Identity != identity) {
						return nil, fmt.Errorf("unexpected audit event %s", l)
					}
					// kms-go decodes response.time into a time.Duration (an integer).
					var d time.Duration
					if json.Unmarshal(ev.Response.Time, &d) != nil {
						integerTime = false
					}
					seen++
				}
			case err := <-streamEnded:
				return nil, fmt.Errorf("audit stream ended after %d of %d events: %v", seen, want, err)
			case <-deadline:
				return nil, fmt.Errorf("saw %d of %d audit events", seen, want)
			}
		}
		return map[string]interface{}{"events": seen, "time_decodes_as_duration": integerTime}, nil
	})

	step("audit-cancel", func() (interface{}, error) {
		cancel()
		select {
		case err := <-streamEnded:
			if !errors.Is(err, context.Canceled) {
				return nil, fmt.Errorf("stream ended with %v, want context.Canceled", err)
			}
			return nil, nil
		case <-time.After(5 * time.Second):
			return nil, errors.New("the stream did not end after cancel")
		}
	})

	step("after-cancel", func() (interface{}, error) {
		return nil, call(http.MethodGet, "/v1/key/describe/"+keyName, nil, 200, nil)
	})

	protosMu.Lock()
	summary := map[string]interface{}{"protos": protos, "tcp_dials": atomic.LoadInt64(&dials)}
	protosMu.Unlock()
	emit("summary", true, "", summary)
	if failed {
		os.Exit(1)
	}
}

func generateDecrypt(keyName string, mismatches *int64) error {
	ctxB64 := base64.StdEncoding.EncodeToString([]byte("kmsclient"))
	var gen struct {
		Plaintext  []byte `json:"plaintext"`
		Ciphertext []byte `json:"ciphertext"`
	}
	if err := call(http.MethodPost, "/v1/key/generate/"+keyName, map[string]string{"context": ctxB64}, 200, &gen); err != nil {
		return err
	}
	var dec struct {
		Plaintext []byte `json:"plaintext"`
	}
	body := map[string]string{"ciphertext": base64.StdEncoding.EncodeToString(gen.Ciphertext), "context": ctxB64}
	if err := call(http.MethodPost, "/v1/key/decrypt/"+keyName, body, 200, &dec); err != nil {
		return err
	}
	if len(gen.Plaintext) != 32 || !bytes.Equal(gen.Plaintext, dec.Plaintext) {
		atomic.AddInt64(mismatches, 1)
	}
	return nil
}

// call sends one request with a JSON body (nil: none) and decodes the JSON answer into out (nil: discard).
func call(method, path string, body interface{}, want int, out interface{}) error {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, base+path, rd)
	if err != nil {
		return err
	}
	resp, err := do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: status %d: %s", method, path, resp.StatusCode, strings.TrimSpace(string(b)))
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

func do(req *http.Request) (*http.Response, error) {
	resp, err := client.Do(req)
	if err == nil {
		protosMu.Lock()
		protos[resp.Proto]++
		protosMu.Unlock()
	}
	return resp, err
}

// newClient is kms-go's kes.NewClientWithConfig transport, field for field
// (docs/kes-compatibility.md, "MinIO's client transport").
func newClient(cert, key, cacert string) (*http.Client, error) {
	tlsCfg := &tls.Config{MinVersion: tls.VersionTLS12}
	kp, err := tls.LoadX509KeyPair(cert, key)
	if err != nil {
		return nil, err
	}
	tlsCfg.Certificates = []tls.Certificate{kp}
	pem, err := os.ReadFile(cacert)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("no certificates in %s", cacert)
	}
	tlsCfg.RootCAs = pool
	d := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Client{Transport: &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			atomic.AddInt64(&dials, 1)
			return d.DialContext(ctx, network, addr)
		},
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: 1 * time.Second,
		TLSClientConfig:       tlsCfg,
	}}, nil
}

func step(name string, fn func() (interface{}, error)) {
	v, err := fn()
	if err != nil {
		failed = true
		emit(name, false, err.Error(), nil)
		return
	}
	emit(name, true, "", v)
}

func emit(name string, ok bool, errText string, value interface{}) {
	line := map[string]interface{}{"step": name, "ok": ok}
	if errText != "" {
		line["error"] = errText
	}
	if value != nil {
		line["value"] = value
	}
	b, _ := json.Marshal(line)
	fmt.Println(string(b))
}
