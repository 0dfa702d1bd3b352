package flow

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
)

//go:embed builtin/*.yaml
var builtinFS embed.FS

// BuiltinIDs are the flows every otpair carries, in the order they are listed.
var BuiltinIDs = []string{"sign-up-or-in-totp", "sign-in-totp", "update-user-totp", "delete-totp-seed", "totp-authentication"}

// ErrUnknownFlow is the error for a flow id no registry holds.
var ErrUnknownFlow = errors.New("unknown flow")

// Registry is a set of flows by id: the built-ins, and the user's from a folder. It is
// built before use and read-only after, so safe for concurrent use.
type Registry struct {
	flows map[string]*Flow
}

var builtins = sync.OnceValues(func() ([]*Flow, error) {
	var out []*Flow
	for _, id := range BuiltinIDs {
		name := "builtin/" + id + ".yaml"
		data, err := builtinFS.ReadFile(name)
		if err != nil {
			return nil, err
		}
		f, err := Parse(name, data)
		if err != nil {
			return nil, err
		}
		if f.ID != id {
			return nil, fmt.Errorf("%s: id %q, want %q", name, f.ID, id)
		}
		f.Builtin = true
		out = append(out, f)
	}
	return out, nil
})

// Builtins returns a registry of the built-in flows.
func Builtins() (*Registry, error) {
	fl, err := builtins()
	if err != nil {
		return nil, fmt.Errorf("built-in flows: %w", err)
	}
	r := &Registry{flows: map[string]*Flow{}}
	for _, f := range fl {
		r.flows[f.ID] = f
	}
	return r, nil
}

// MustBuiltins is Builtins for callers that cannot go on without them (the built-ins
// are checked by this package's tests, so an error here is a broken build).
func MustBuiltins() *Registry {
	r, err := Builtins()
	if err != nil {
		panic(err)
	}
	return r
}

// Add puts flows into the registry after checking them together with what it holds:
// an id may not repeat (a user's flow may not replace a built-in one), and every
// sub-flow a flow runs must be there. On any error nothing is added.
func (r *Registry) Add(flows ...*Flow) error {
	next := make(map[string]*Flow, len(r.flows)+len(flows))
	for id, f := range r.flows {
		next[id] = f
	}
	var errs FileErrors
	for _, f := range flows {
		if old, dup := next[f.ID]; dup {
			errs = append(errs, FileError{File: f.File, Pos: Pos{Line: 1, Col: 1}, Msg: fmt.Sprintf("flow id %q is taken by %s", f.ID, old.File)})
			continue
		}
		next[f.ID] = f
	}
	for _, f := range flows {
		for _, id := range f.Order {
			s := f.Steps[id]
			if s.Kind == KindSubFlow && next[s.SubFlow.ID] == nil {
				errs = append(errs, FileError{File: f.File, Pos: s.Pos, Msg: fmt.Sprintf("step %q: no flow %q", id, s.SubFlow.ID)})
			}
		}
		for _, tc := range f.Tests {
			if tc.Flow != "" && next[tc.Flow] == nil {
				errs = append(errs, FileError{File: f.File, Pos: tc.Pos, Msg: fmt.Sprintf("test %q: no flow %q", tc.Name, tc.Flow)})
			}
		}
	}
	if len(errs) > 0 {
		return errs.sorted()
	}
	r.flows = next
	return nil
}

// Get returns the flow with id.
func (r *Registry) Get(id string) (*Flow, error) {
	f, ok := r.flows[id]
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownFlow, id)
	}
	return f, nil
}

// List returns every flow: the built-ins in their order, then the others by id.
func (r *Registry) List() []*Flow {
	var out, user []*Flow
	for _, id := range BuiltinIDs {
		if f, ok := r.flows[id]; ok && f.Builtin {
			out = append(out, f)
		}
	}
	for _, f := range r.flows {
		if !f.Builtin {
			user = append(user, f)
		}
	}
	sort.Slice(user, func(i, j int) bool { return user[i].ID < user[j].ID })
	return append(out, user...)
}

// IsFlowFile reports whether a file name is one LoadDir reads.
func IsFlowFile(name string) bool {
	switch strings.ToLower(path.Ext(name)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

// ParseFile reads and parses one flow file.
func ParseFile(name string) (*Flow, error) {
	fi, err := os.Stat(name)
	if err != nil {
		return nil, err
	}
	if fi.Size() > MaxFileSize {
		return nil, FileErrors{{File: name, Msg: fmt.Sprintf("the file is larger than %d bytes", MaxFileSize)}}
	}
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	return Parse(name, data)
}

// LoadDir parses every flow file (*.yaml, *.yml, *.json) in dir, not its sub-folders,
// and adds them to r. Every file's problems come back together.
func (r *Registry) LoadDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("flows folder: %w", err)
	}
	var flows []*Flow
	var errs FileErrors
	for _, e := range entries {
		if e.IsDir() || !IsFlowFile(e.Name()) {
			continue
		}
		f, err := ParseFile(filepath.Join(dir, e.Name()))
		var fe FileErrors
		switch {
		case errors.As(err, &fe):
			errs = append(errs, fe...)
		case err != nil:
			return err
		default:
			flows = append(flows, f)
		}
	}
	if len(errs) > 0 {
		return errs
	}
	return r.Add(flows...)
}

// BuiltinSource returns the embedded file of a built-in flow, as `otpair flow export`
// writes it.
func BuiltinSource(id string) ([]byte, error) {
	data, err := fs.ReadFile(builtinFS, "builtin/"+id+".yaml")
	if err != nil {
		return nil, fmt.Errorf("%w %q", ErrUnknownFlow, id)
	}
	return data, nil
}
