// Command madmin-check drives keyhold-s3's admin API through MinIO's own Go admin client
// (madmin-go as packaged by Debian) and prints one JSON line per step, so the vitest suite can
// assert on what the real client saw. Usage: madmin-check ENDPOINT ACCESS SECRET SCENARIO
package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"

	"github.com/minio/madmin-go"
)

type step struct {
	Step  string      `json:"step"`
	OK    bool        `json:"ok"`
	Error string      `json:"error,omitempty"`
	Value interface{} `json:"value,omitempty"`
}

func emit(name string, value interface{}, err error) {
	s := step{Step: name, OK: err == nil, Value: value}
	if err != nil {
		s.Error = err.Error()
		s.Value = nil
	}
	b, _ := json.Marshal(s)
	fmt.Println(string(b))
}

func main() {
	if len(os.Args) != 5 {
		fmt.Fprintln(os.Stderr, "usage: madmin-check ENDPOINT ACCESS SECRET SCENARIO")
		os.Exit(2)
	}
	endpoint, access, secret, scenario := os.Args[1], os.Args[2], os.Args[3], os.Args[4]
	secure := strings.HasPrefix(endpoint, "https://")
	host := strings.TrimPrefix(strings.TrimPrefix(endpoint, "https://"), "http://")
	adm, err := madmin.New(host, access, secret, secure)
	if err != nil {
		emit("new", nil, err)
		os.Exit(1)
	}
	// The test CA is throwaway; trust is what the TLS tests elsewhere check.
	adm.SetCustomTransport(&http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}})
	ctx := context.Background()
	switch scenario {
	case "full":
		full(ctx, adm)
	case "info":
		info, err := adm.ServerInfo(ctx)
		emit("info", info, err)
	case "denied":
		_, err := adm.ListUsers(ctx)
		emit("list-users", nil, err)
	default:
		fmt.Fprintln(os.Stderr, "unknown scenario")
		os.Exit(2)
	}
}

func full(ctx context.Context, adm *madmin.AdminClient) {
	emit("add-user", nil, adm.AddUser(ctx, "alice", "alice-secret-1"))
	users, err := adm.ListUsers(ctx)
	emit("list-users", users, err)
	info, err := adm.GetUserInfo(ctx, "alice")
	emit("user-info", info, err)
	emit("add-policy", nil, adm.AddCannedPolicy(ctx, "bucket-a", []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::a/*"]}]}`)))
	emit("add-bad-policy", nil, adm.AddCannedPolicy(ctx, "bad", []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:ListObjects"],"Resource":["arn:aws:s3:::a"]}]}`)))
	doc, err := adm.InfoCannedPolicy(ctx, "readonly")
	emit("info-policy", string(doc), err)
	list, err := adm.ListCannedPolicies(ctx)
	names := []string{}
	for n := range list {
		names = append(names, n)
	}
	emit("list-policies", names, err)
	emit("attach", nil, adm.AttachPolicy(ctx, madmin.PolicyAssociationReq{Policies: []string{"readonly"}, User: "alice"}))
	emit("attach-again", nil, adm.AttachPolicy(ctx, madmin.PolicyAssociationReq{Policies: []string{"readonly"}, User: "alice"}))
	ents, err := adm.GetPolicyEntities(ctx, madmin.PolicyEntitiesQuery{Users: []string{"alice"}})
	emit("policy-entities", ents, err)
	emit("set-policy", nil, adm.SetPolicy(ctx, "readonly,bucket-a", "alice", false))
	emit("group-add", nil, adm.UpdateGroupMembers(ctx, madmin.GroupAddRemove{Group: "devs", Members: []string{"alice"}}))
	desc, err := adm.GetGroupDescription(ctx, "devs")
	emit("group-info", desc, err)
	groups, err := adm.ListGroups(ctx)
	emit("groups", groups, err)
	emit("group-add-ghost", nil, adm.UpdateGroupMembers(ctx, madmin.GroupAddRemove{Group: "devs", Members: []string{"ghost"}}))
	creds, err := adm.AddServiceAccount(ctx, madmin.AddServiceAccountReq{
		TargetUser: "alice",
		Policy:     []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::a/*"]}]}`),
	})
	emit("svcacct-add", creds, err)
	chosen, err := adm.AddServiceAccount(ctx, madmin.AddServiceAccountReq{TargetUser: "alice", AccessKey: "alicesvc1", SecretKey: "alicesvc1-secret"})
	emit("svcacct-add-chosen", chosen, err)
	accts, err := adm.ListServiceAccounts(ctx, "alice")
	emit("svcacct-list", accts, err)
	sinfo, err := adm.InfoServiceAccount(ctx, creds.AccessKey)
	emit("svcacct-info", sinfo, err)
	emit("svcacct-disable", nil, adm.UpdateServiceAccount(ctx, creds.AccessKey, madmin.UpdateServiceAccountReq{NewStatus: "off"}))
	sinfo, err = adm.InfoServiceAccount(ctx, creds.AccessKey)
	emit("svcacct-info-disabled", sinfo, err)
	emit("svcacct-delete", nil, adm.DeleteServiceAccount(ctx, creds.AccessKey))
	_, err = adm.InfoServiceAccount(ctx, creds.AccessKey)
	emit("svcacct-info-deleted", nil, err)
	emit("user-disable", nil, adm.SetUserStatus(ctx, "alice", madmin.AccountDisabled))
	info, err = adm.GetUserInfo(ctx, "alice")
	emit("user-info-disabled", info, err)
	emit("detach", nil, adm.DetachPolicy(ctx, madmin.PolicyAssociationReq{Policies: []string{"bucket-a"}, User: "alice"}))
	emit("remove-policy", nil, adm.RemoveCannedPolicy(ctx, "bucket-a"))
	emit("remove-user", nil, adm.RemoveUser(ctx, "alice"))
	_, err = adm.GetUserInfo(ctx, "alice")
	emit("user-info-removed", nil, err)
}
