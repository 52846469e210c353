// Reads GET /v1/log/audit from a Keyhold server exactly as kms-go's kes.AuditStream.Next does
// (github.com/minio/kms-go/kes/log.go: the same anonymous struct, encoding/json, response.time
// into a time.Duration), over mutual TLS. Prints one JSON line per event, or the decode error.
//
// Usage: kms-go-audit URL CA CERT KEY COUNT
package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"
)

type Identity string

func main() {
	url, caFile, certFile, keyFile := os.Args[1], os.Args[2], os.Args[3], os.Args[4]
	count, _ := strconv.Atoi(os.Args[5])
	caPem, err := os.ReadFile(caFile)
	if err != nil {
		fail(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPem)
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		fail(err)
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{
		RootCAs: pool, Certificates: []tls.Certificate{cert}, ServerName: "localhost",
	}}}
	resp, err := client.Get(url + "/v1/log/audit")
	if err != nil {
		fail(err)
	}
	defer resp.Body.Close()
	fmt.Println(`{"ready":true}`)

	// kms-go's kes.AuditStream.Next, verbatim.
	type Response struct {
		Timestamp time.Time `json:"time"`
		Request   struct {
			IP       net.IP   `json:"ip"`
			APIPath  string   `json:"path"`
			Identity Identity `json:"identity"`
		} `json:"request"`
		Response struct {
			StatusCode int           `json:"code"`
			Time       time.Duration `json:"time"`
		} `json:"response"`
	}
	decoder := json.NewDecoder(resp.Body)
	for i := 0; i < count; i++ {
		var r Response
		if err := decoder.Decode(&r); err != nil {
			fail(err)
		}
		line, _ := json.Marshal(map[string]any{"path": r.Request.APIPath, "code": r.Response.StatusCode, "time": int64(r.Response.Time)})
		fmt.Println(string(line))
	}
}

func fail(err error) {
	line, _ := json.Marshal(map[string]string{"error": err.Error()})
	fmt.Println(string(line))
	os.Exit(1)
}
