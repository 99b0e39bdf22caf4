package action

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/internal/jsonpointer"
)

// fileShape is the shape of an actions file. Operators' files depend on
// it: add keys, never rename them.
//
//	actions:
//	  - name: build
//	    command: ["/srv/ci/build.sh", "--quiet"]
//	    args: ["/ref"]                      # appended to command, one argv element each
//	    env: {EVENT: "header:X-GitHub-Event", REPO: "/repository/full_name"}
//	    workdir: /srv/ci
//	    timeout: 10m
//	    concurrency: 1
type fileShape struct {
	Actions []struct {
		Name        string            `yaml:"name"`
		Command     []string          `yaml:"command"`
		Args        []string          `yaml:"args"`
		Env         map[string]string `yaml:"env"`
		Workdir     string            `yaml:"workdir"`
		Timeout     string            `yaml:"timeout"`
		Concurrency *int              `yaml:"concurrency"`
	} `yaml:"actions"`
}

// Load reads the actions file at path. Unknown keys, a missing command, a
// value that is neither a JSON pointer nor header:NAME, a relative workdir
// are errors that name the action.
func Load(path string) (*Set, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(b)
}

// Parse reads an actions file's content.
func Parse(b []byte) (*Set, error) {
	var f fileShape
	d := yaml.NewDecoder(bytes.NewReader(b))
	d.KnownFields(true)
	if err := d.Decode(&f); err != nil {
		return nil, fmt.Errorf("actions: %w", err)
	}
	s := &Set{actions: map[string]*Action{}, path: serverPath()}
	for i, fa := range f.Actions {
		a := &Action{Name: fa.Name, Command: fa.Command, Args: fa.Args, Env: fa.Env, Workdir: fa.Workdir,
			Timeout: DefaultTimeout, Concurrency: 1}
		where := fmt.Sprintf("actions: action %d (%q)", i+1, fa.Name)
		if !hookline.ValidName(a.Name, 128) {
			return nil, fmt.Errorf("%s: name must be 1 to 128 characters of a-z, A-Z, 0-9, '-', '_' and '.'", where)
		}
		if s.actions[a.Name] != nil {
			return nil, fmt.Errorf("%s: a second action of this name", where)
		}
		if len(a.Command) == 0 || a.Command[0] == "" {
			return nil, fmt.Errorf("%s: command must name a program: [\"/path/to/program\", \"arg\", ...]", where)
		}
		for _, spec := range a.Args {
			if err := checkValue(spec); err != nil {
				return nil, fmt.Errorf("%s: args: %w", where, err)
			}
		}
		for k, spec := range a.Env {
			if k == "" || strings.ContainsAny(k, "=\x00") || strings.HasPrefix(k, "HOOKLINE_") || k == "PATH" {
				return nil, fmt.Errorf("%s: env: %q cannot be set", where, k)
			}
			if err := checkValue(spec); err != nil {
				return nil, fmt.Errorf("%s: env %s: %w", where, k, err)
			}
		}
		if a.Workdir != "" && !filepath.IsAbs(a.Workdir) {
			return nil, fmt.Errorf("%s: workdir must be an absolute path", where)
		}
		if fa.Timeout != "" {
			var err error
			if a.Timeout, err = time.ParseDuration(fa.Timeout); err != nil || a.Timeout <= 0 {
				return nil, fmt.Errorf("%s: timeout %q is not a positive duration (e.g. 10m)", where, fa.Timeout)
			}
		}
		if fa.Concurrency != nil {
			if a.Concurrency = *fa.Concurrency; a.Concurrency < 1 {
				return nil, fmt.Errorf("%s: concurrency must be 1 or more", where)
			}
		}
		a.slots = make(chan struct{}, a.Concurrency)
		s.actions[a.Name] = a
	}
	return s, nil
}

// checkValue checks that spec names a value of a request: header:NAME or a
// JSON pointer.
func checkValue(spec string) error {
	if name, ok := strings.CutPrefix(spec, "header:"); ok {
		if name == "" {
			return fmt.Errorf("%q names no header", spec)
		}
		return nil
	}
	if spec == "" || !jsonpointer.Valid(spec) {
		return fmt.Errorf("%q is neither a JSON pointer (/ref) nor header:NAME", spec)
	}
	return nil
}
