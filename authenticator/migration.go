package authenticator

import (
	"errors"
	"fmt"
	"sort"

	"github.com/otpair/otpair/provisioning"
)

// decodeMigration reads the keys of a Google Authenticator export page. Accounts the
// page could not give are named in err while the rest are still returned.
func decodeMigration(uri string, b *batches) ([]provisioning.Key, error) {
	m, err := provisioning.DecodeMigration(uri)
	if err != nil && !errors.Is(err, provisioning.ErrSkippedKeys) {
		return nil, err
	}
	b.see(m)
	return m.Keys, err
}

// batches tracks the pages of multi-page exports seen during one import, so a page
// left out is reported rather than silently missing (Aegis warns the same way).
type batches struct {
	byID map[int]*batch
}

type batch struct {
	size  int
	seen  map[int]bool
	first string
}

func (b *batches) see(m provisioning.Migration) {
	// DecodeMigration refuses batches over MaxMigrationBatch; a batch is tracked page
	// by page, so the bound is checked here too.
	if m.BatchSize <= 1 || m.BatchID == 0 || m.BatchSize > provisioning.MaxMigrationBatch {
		return
	}
	if b.byID == nil {
		b.byID = map[int]*batch{}
	}
	bt := b.byID[m.BatchID]
	if bt == nil {
		bt = &batch{size: m.BatchSize, seen: map[int]bool{}}
		b.byID[m.BatchID] = bt
	}
	bt.seen[m.BatchIndex] = true
}

// missing reports each export with pages not seen, named by the source where its first
// page was found; the pages are ranges in text of bounded length.
func (b *batches) missing() []SourceError {
	var out []SourceError
	ids := make([]int, 0, len(b.byID))
	for id := range b.byID {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	for _, id := range ids {
		bt := b.byID[id]
		if gone := provisioning.DescribeMissingPages(bt.size, func(i int) bool { return bt.seen[i] }); gone != "" {
			out = append(out, SourceError{Source: bt.first, Err: fmt.Errorf(
				"%s from this export: import those pages too (their accounts were not imported)", gone)})
		}
	}
	return out
}
