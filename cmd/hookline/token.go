package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/api"
)

const tokenAbout = `Usage: hookline token [create] [flags]     make an admin API token and print it
       hookline token list [flags]         list the admin tokens
       hookline token revoke ID [flags]    delete the admin token ID

Admin API tokens may do everything. Only a token's hash is stored: a token is
shown once, when it is made. The list shows each token's id, name, creation
and last use (recorded at most once a minute). A revoked token is refused
from then on. On SQLite, stop serve first: one process at a time uses the
database file.
`

// runToken runs 'hookline token' and its subcommands create (the default),
// list and revoke.
func runToken(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	sub := "create"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		sub, args = args[0], args[1:]
	}
	var c dbCommand
	switch sub {
	case "create":
		var name string
		c = dbCommand{name: "token", create: true,
			flags: func(f *envFlags) {
				f.str(&name, "name", "HOOKLINE_TOKEN_NAME", "", "what the token is for, shown by 'hookline token list'")
			},
			do: func(store hookline.Store, _ string, _ []string) error {
				if len(name) > hookline.MaxTokenNameLen || strings.ContainsFunc(name, unicode.IsControl) {
					return fmt.Errorf("--name must be at most %d bytes, without control characters", hookline.MaxTokenNameLen)
				}
				token, err := createAdminToken(ctx, store, name)
				if err != nil {
					return err
				}
				fmt.Fprintln(stdout, token)
				return nil
			}}
	case "list":
		c = dbCommand{name: "token list", do: func(store hookline.Store, _ string, _ []string) error {
			return listAdminTokens(ctx, store, stdout)
		}}
	case "revoke":
		c = dbCommand{name: "token revoke", operands: []string{"token id"},
			do: func(store hookline.Store, _ string, ids []string) error {
				err := store.DeleteToken(ctx, ids[0])
				if hookline.ErrorCode(err) == hookline.ENOTFOUND {
					return fmt.Errorf("no token %s (see hookline token list)", ids[0])
				}
				if err == nil {
					fmt.Fprintln(stdout, "revoked", ids[0])
				}
				return err
			}}
	default:
		fmt.Fprintf(stderr, "hookline token: unknown subcommand %q\nRun 'hookline token --help' for its subcommands and flags.\n", sub)
		return 2
	}
	c.about = tokenAbout
	return c.run(ctx, args, getenv, stdout, stderr)
}

// createAdminToken stores a new admin token named name and returns it.
func createAdminToken(ctx context.Context, store hookline.Tokens, name string) (string, error) {
	token := api.NewToken()
	err := store.CreateToken(ctx, &hookline.Token{
		ID: hookline.NewID(hookline.PrefixToken), Hash: api.HashToken(token), Name: name, CreatedAt: time.Now(),
	})
	return token, err
}

// listAdminTokens writes a table of the admin tokens to w: id, name,
// creation and last use.
func listAdminTokens(ctx context.Context, store hookline.Tokens, w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tCREATED\tLAST USED")
	opts := hookline.ListOptions{Limit: hookline.MaxListLimit}
	for {
		page, err := store.ListAdminTokens(ctx, opts)
		if err != nil {
			return err
		}
		for _, t := range page.Items {
			name, used := t.Name, "never"
			if name == "" {
				name = "-"
			}
			if t.LastUsedAt != nil {
				used = t.LastUsedAt.UTC().Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", t.ID, name, t.CreatedAt.UTC().Format(time.RFC3339), used)
		}
		if page.Done || len(page.Items) == 0 {
			break
		}
		opts.Iterator = page.Items[len(page.Items)-1].ID
	}
	return tw.Flush()
}
