// Exactly-once consume-transform-produce with franz-go (kgo's GroupTransactSession) against Tributary, for
// test/integration/franz-go-txn.test.ts. Prints what the client negotiated (ApiVersions: max versions and finalized
// features) and one JSON result line; the test checks the broker's request log for the APIs that reached it.
//
// Usage: go run . <bootstrap> <input topic> <output topic> <group> <transactional id>
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

const records = 300

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(1)
}

func main() {
	if len(os.Args) != 6 {
		fail("usage: go run . <bootstrap> <in> <out> <group> <transactional id>")
	}
	bootstrap, in, out, group, txnID := os.Args[1], os.Args[2], os.Args[3], os.Args[4], os.Args[5]
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	// The input: plain idempotent writes.
	seed, err := kgo.NewClient(kgo.SeedBrokers(bootstrap), kgo.DefaultProduceTopic(in))
	if err != nil {
		fail("client: %v", err)
	}
	defer seed.Close()
	for i := 0; i < records; i++ {
		seed.Produce(ctx, &kgo.Record{Value: []byte(strconv.Itoa(i))}, func(_ *kgo.Record, err error) {
			if err != nil {
				fail("seed produce: %v", err)
			}
		})
	}
	if err := seed.Flush(ctx); err != nil {
		fail("seed flush: %v", err)
	}

	// What this client negotiates.
	resp, err := seed.Request(ctx, kmsg.NewPtrApiVersionsRequest())
	if err != nil {
		fail("ApiVersions: %v", err)
	}
	av := resp.(*kmsg.ApiVersionsResponse)
	negotiated := map[string]any{}
	for _, k := range av.ApiKeys {
		negotiated[kmsg.NameForKey(k.ApiKey)] = k.MaxVersion
	}
	finalized := map[string]int16{}
	for _, f := range av.FinalizedFeatures {
		finalized[f.Name] = f.MaxVersionLevel
	}
	negotiated["finalized"] = finalized
	line, _ := json.Marshal(negotiated)
	fmt.Printf("NEGOTIATED %s\n", line)

	// Consume-transform-produce, each poll one transaction with its input offsets.
	sess, err := kgo.NewGroupTransactSession(
		kgo.SeedBrokers(bootstrap),
		kgo.TransactionalID(txnID),
		kgo.ConsumerGroup(group),
		kgo.ConsumeTopics(in),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.RequireStableFetchOffsets(),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.DefaultProduceTopic(out),
	)
	if err != nil {
		fail("session: %v", err)
	}
	processed, transactions := 0, 0
	for processed < records {
		fetches := sess.PollRecords(ctx, 50) // several transactions
		if errs := fetches.Errors(); len(errs) > 0 {
			fail("poll: %v", errs)
		}
		if fetches.NumRecords() == 0 {
			continue
		}
		if err := sess.Begin(); err != nil {
			fail("begin: %v", err)
		}
		n := 0
		fetches.EachRecord(func(r *kgo.Record) {
			n++
			sess.Produce(ctx, &kgo.Record{Value: append([]byte("x"), r.Value...)}, func(_ *kgo.Record, err error) {
				if err != nil {
					fmt.Fprintf(os.Stderr, "produce: %v\n", err)
				}
			})
		})
		committed, err := sess.End(ctx, kgo.TryCommit)
		if err != nil {
			fail("end: %v", err)
		}
		if committed {
			processed += n
			transactions++
		}
	}
	sess.Close()

	// A transaction aborted on purpose: its records must never be read.
	aborter, err := kgo.NewClient(kgo.SeedBrokers(bootstrap), kgo.TransactionalID(txnID+"-aborted"), kgo.DefaultProduceTopic(out))
	if err != nil {
		fail("aborter: %v", err)
	}
	if err := aborter.BeginTransaction(); err != nil {
		fail("begin: %v", err)
	}
	if err := aborter.ProduceSync(ctx, &kgo.Record{Value: []byte("aborted")}).FirstErr(); err != nil {
		fail("aborted produce: %v", err)
	}
	if err := aborter.EndTransaction(ctx, kgo.TryAbort); err != nil {
		fail("abort: %v", err)
	}
	aborter.Close()

	// The output, read committed: every input exactly once, nothing aborted.
	reader, err := kgo.NewClient(kgo.SeedBrokers(bootstrap), kgo.ConsumeTopics(out),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		fail("reader: %v", err)
	}
	var values []string
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		pctx, pcancel := context.WithTimeout(ctx, 2*time.Second)
		f := reader.PollFetches(pctx)
		pcancel()
		f.EachRecord(func(r *kgo.Record) { values = append(values, string(r.Value)) })
		if len(values) >= records && f.NumRecords() == 0 {
			break
		}
	}
	reader.Close()
	sort.Strings(values)

	// The group's offsets were committed with the transactions: a new member of the group has nothing left to read.
	again, err := kgo.NewClient(kgo.SeedBrokers(bootstrap), kgo.ConsumerGroup(group), kgo.ConsumeTopics(in),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		fail("again: %v", err)
	}
	left := 0
	for i := 0; i < 3; i++ {
		pctx, pcancel := context.WithTimeout(ctx, 2*time.Second)
		left += again.PollFetches(pctx).NumRecords()
		pcancel()
	}
	again.Close()

	result, _ := json.Marshal(map[string]any{
		"processed": processed, "transactions": transactions, "output": values, "leftInGroup": left,
	})
	fmt.Printf("RESULT %s\n", result)
}
