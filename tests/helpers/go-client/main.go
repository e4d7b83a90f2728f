// SPDX-License-Identifier: GPL-2.0-or-later

// es-go-client - a static Go client for the relay tests (stdlib only).
//
// Go programs make their own system calls (no libc) and resolve names with
// their own resolver, which reads /etc/resolv.conf: what a static Go binary
// does under the supervisor differs from what curl or python do.
//
// One line per operation, greppable like es-net's:
//
//	es-go-client https [-ca FILE] [-n N] URL   GET over TLS (trusting FILE)
//	es-go-client http [-n N] URL                GET in plain HTTP
//	es-go-client tcp [-send TEXT] ADDR:PORT     connect, then getpeername()
//	                                             and getsockname(); with
//	                                             -send, send TEXT and print
//	                                             the first line received
//
// GET prints "get URL OK status=S bytes=B sha256=H x-host=X" (N times, on
// one connection when keep-alive allows) or "get URL ERR message".
// tcp prints "connect ADDR OK peer=P sock=S" or "connect ADDR ERR errno".
// The exit status is 0 when every operation worked, 1 otherwise.
package main

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"syscall"
	"time"
)

func usage() {
	fmt.Fprintln(os.Stderr, "usage: es-go-client https|http|tcp [options] URL|ADDR:PORT")
	os.Exit(2)
}

// errnoName gives the errno of a failed dial as its name (ECONNREFUSED,
// EACCES), or the message when there is none.
func errnoName(err error) string {
	var en syscall.Errno
	if errors.As(err, &en) {
		names := map[syscall.Errno]string{
			syscall.EACCES:       "EACCES",
			syscall.EPERM:        "EPERM",
			syscall.ECONNREFUSED: "ECONNREFUSED",
			syscall.ECONNRESET:   "ECONNRESET",
			syscall.ETIMEDOUT:    "ETIMEDOUT",
			syscall.ENETUNREACH:  "ENETUNREACH",
			syscall.EHOSTUNREACH: "EHOSTUNREACH",
			syscall.ENOSYS:       "ENOSYS",
		}
		if n, ok := names[en]; ok {
			return n
		}
		return "errno" + strconv.Itoa(int(en))
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "TIMEOUT"
	}
	return err.Error()
}

func sockaddrString(sa syscall.Sockaddr) string {
	switch a := sa.(type) {
	case *syscall.SockaddrInet4:
		return net.JoinHostPort(net.IP(a.Addr[:]).String(), strconv.Itoa(a.Port))
	case *syscall.SockaddrInet6:
		return net.JoinHostPort(net.IP(a.Addr[:]).String(), strconv.Itoa(a.Port))
	}
	return "?"
}

// names asks the kernel itself (not Go's cached addresses) for both ends.
func names(c net.Conn) (peer, sock string) {
	peer, sock = "?", "?"
	sc, ok := c.(syscall.Conn)
	if !ok {
		return
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return
	}
	_ = raw.Control(func(fd uintptr) {
		if sa, err := syscall.Getpeername(int(fd)); err == nil {
			peer = sockaddrString(sa)
		} else {
			peer = errnoName(err)
		}
		if sa, err := syscall.Getsockname(int(fd)); err == nil {
			sock = sockaddrString(sa)
		}
	})
	return
}

func doTCP(args []string) bool {
	fs := flag.NewFlagSet("tcp", flag.ExitOnError)
	send := fs.String("send", "", "text to send after connecting")
	timeout := fs.Duration("t", 10*time.Second, "timeout")
	_ = fs.Parse(args)
	if fs.NArg() != 1 {
		usage()
	}
	dst := fs.Arg(0)
	c, err := net.DialTimeout("tcp", dst, *timeout)
	if err != nil {
		fmt.Printf("connect %s ERR %s\n", dst, errnoName(err))
		return false
	}
	defer c.Close()
	peer, sock := names(c)
	fmt.Printf("connect %s OK peer=%s sock=%s remote=%s\n", dst, peer, sock,
		c.RemoteAddr())
	if *send == "" {
		return true
	}
	_ = c.SetDeadline(time.Now().Add(*timeout))
	if _, err := io.WriteString(c, *send+"\n"); err != nil {
		fmt.Printf("send %s ERR %s\n", dst, errnoName(err))
		return false
	}
	buf := make([]byte, 512)
	n, err := c.Read(buf)
	if n == 0 {
		fmt.Printf("recv %s ERR %s\n", dst, errnoName(err))
		return false
	}
	line := string(buf[:n])
	for i, ch := range line {
		if ch == '\r' || ch == '\n' {
			line = line[:i]
			break
		}
	}
	fmt.Printf("recv %s OK %s\n", dst, line)
	return true
}

func doGet(mode string, args []string) bool {
	fs := flag.NewFlagSet(mode, flag.ExitOnError)
	ca := fs.String("ca", "", "CA bundle (PEM) to trust")
	count := fs.Int("n", 1, "requests, on one connection when possible")
	timeout := fs.Duration("t", 20*time.Second, "timeout")
	_ = fs.Parse(args)
	if fs.NArg() != 1 {
		usage()
	}
	url := fs.Arg(0)
	tr := &http.Transport{
		Proxy:             nil,
		ForceAttemptHTTP2: false,
		MaxConnsPerHost:   1,
	}
	var conns int
	dialer := &net.Dialer{Timeout: *timeout}
	var last net.Conn
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dialer.DialContext(ctx, network, addr)
		if err == nil {
			conns++
			last = c
		}
		return c, err
	}
	if mode == "https" {
		cfg := &tls.Config{}
		if *ca != "" {
			pem, err := os.ReadFile(*ca)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(2)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				fmt.Fprintln(os.Stderr, "no certificate in", *ca)
				os.Exit(2)
			}
			cfg.RootCAs = pool
		}
		tr.TLSClientConfig = cfg
	}
	cl := &http.Client{Transport: tr, Timeout: *timeout}
	good := true
	for i := 0; i < *count; i++ {
		resp, err := cl.Get(url)
		if err != nil {
			fmt.Printf("get %s ERR %s\n", url, err)
			good = false
			continue
		}
		h := sha256.New()
		n, err := io.Copy(h, resp.Body)
		resp.Body.Close()
		if err != nil {
			fmt.Printf("get %s ERR body after %d bytes: %s\n", url, n, err)
			good = false
			continue
		}
		peer, sock := "?", "?"
		if last != nil {
			peer, sock = names(last)
		}
		fmt.Printf("get %s OK status=%d bytes=%d sha256=%s x-host=%s conns=%d peer=%s sock=%s\n",
			url, resp.StatusCode, n, hex.EncodeToString(h.Sum(nil)),
			resp.Header.Get("X-Host"), conns, peer, sock)
	}
	return good
}

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var good bool
	switch os.Args[1] {
	case "https", "http":
		good = doGet(os.Args[1], os.Args[2:])
	case "tcp":
		good = doTCP(os.Args[2:])
	default:
		usage()
	}
	if !good {
		os.Exit(1)
	}
}
