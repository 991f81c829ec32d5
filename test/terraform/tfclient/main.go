// tfclient: an offline Terraform-protocol client for testing providers.
//
// It launches a provider with go-plugin 1.0.1 the way Terraform's plugin client does
// (launch.go) and drives a resource's life with values encoded and decoded by go-cty
// 1.12.1 against the schema the provider announced (lifecycle.go). Written for the
// example provider test/examples/localfs.
//
//	tfclient -provider EXE [-protocol 6|5] [-automtls=true|false] [-v]
//	tfclient -provider EXE -reattach [-v]
//	tfclient -provider SLOW_EXE -stop-all [-protocol 6|5] [-automtls=true|false]
//
// Exit status 0 when every check passed, 1 otherwise.
package main

import (
	"flag"
	"fmt"
	"io/ioutil"
	"os"
)

var verbose bool

type checker struct{ failed []string }

func (c *checker) check(name string, ok bool, why string, args ...interface{}) bool {
	if ok {
		fmt.Println("ok   " + name)
	} else {
		fmt.Println("FAIL " + name + ": " + fmt.Sprintf(why, args...))
		c.failed = append(c.failed, name)
	}
	return ok
}

// fatal records a failure that ends the run.
func (c *checker) fatal(name string, err error) {
	c.check(name, false, "%v", err)
	c.finish()
}

func (c *checker) finish() {
	if len(c.failed) > 0 {
		fmt.Printf("%d checks failed: %v\n", len(c.failed), c.failed)
		os.Exit(1)
	}
	fmt.Println("all checks passed")
	os.Exit(0)
}

func logf(format string, args ...interface{}) {
	if verbose {
		fmt.Printf("     "+format+"\n", args...)
	}
}

func main() {
	exe := flag.String("provider", "", "the provider executable")
	version := flag.Int("protocol", 6, "the protocol to negotiate: 6 (Terraform offers 5 and 6) or 5 (offers 5 only)")
	autoMTLS := flag.Bool("automtls", true, "go-plugin AutoMTLS (Terraform: on unless TF_DISABLE_PLUGIN_TLS)")
	reattachMode := flag.Bool("reattach", false, "start the provider in debug mode and attach through TF_REATTACH_PROVIDERS")
	stopAll := flag.Bool("stop-all", false, "StopProvider against calls of every kind in flight (test/terraform/slow_provider.cpp)")
	flag.BoolVar(&verbose, "v", false, "print every call and its diagnostics")
	flag.Parse()
	if *exe == "" || (*version != 5 && *version != 6) {
		flag.Usage()
		os.Exit(2)
	}
	tmp, err := ioutil.TempDir("", "tfclient")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	defer os.RemoveAll(tmp)
	c := &checker{}
	if *reattachMode {
		runReattach(c, *exe, tmp)
	} else if *stopAll {
		runStopAll(c, *exe, *version, *autoMTLS)
	} else {
		runLifecycle(c, *exe, *version, *autoMTLS, tmp)
	}
	os.RemoveAll(tmp)
	c.finish()
}
