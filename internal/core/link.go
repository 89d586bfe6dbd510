package core

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"xiaoxiang"
	"xiaoxiang/internal/identity"
	"xiaoxiang/internal/sqldb"
)

// LinkInput is the 关联 form. For a task in document mode Name and
// DocNumber are required (DocKind is optional: every kind the number is
// valid for is tried when empty); in student-number mode Name and StudentNo.
type LinkInput struct {
	Name      string
	DocKind   string // identity.Kind code, e.g. resident_id; "" = any valid kind
	DocNumber string
	StudentNo string
}

// Link links the account to its roster entry of the task. A failed lookup
// gives one generic ENOTFOUND message (never saying which field was wrong)
// and counts against the account's daily limit (ETOOMANY when used up). A
// roster entry actively bound to another account gives ECONFLICT with the
// 解绑 guidance. Linking again to one's own entry returns the existing
// binding.
func (s *Service) Link(ctx context.Context, accountID, taskID int64, in LinkInput) (*xiaoxiang.Binding, error) {
	name, err := cleanName(in.Name)
	if err != nil {
		return nil, err
	}
	now := s.now()
	var b *xiaoxiang.Binding
	var notFound error
	link := func(tx *sqldb.Tx) error {
		b, notFound = nil, nil
		if _, err := liveAccount(ctx, tx, accountID); err != nil {
			return err
		}
		if err := requireConsent(ctx, tx, accountID, xiaoxiang.ConsentIdentity); err != nil {
			return err
		}
		t, err := visibleTask(ctx, tx, taskID)
		if err != nil {
			return err
		}
		if err := t.CheckOpen(now); err != nil {
			return err
		}
		day := xiaoxiang.QuotaDay(now)
		failures, err := tx.CountLinkFailures(ctx, accountID, day)
		if err != nil {
			return err
		}
		if failures >= s.opts.LinkFailuresPerDay {
			return xiaoxiang.Errorf(xiaoxiang.ETOOMANY, "今日查询次数过多，请明天再试；如确认信息无误，请联系学校学籍部门。")
		}
		entries, err := s.lookup(ctx, tx, t, in, now)
		if err != nil {
			return err
		}
		var match *xiaoxiang.RosterEntry
		for _, e := range entries {
			if sameName(e.Name, name) {
				match = e
				break
			}
		}
		if match == nil {
			if _, err := tx.AddLinkFailure(ctx, accountID, day); err != nil {
				return err
			}
			notFound = linkNotFound(t)
			return nil // commit the failure count
		}
		b, err = s.bind(ctx, tx, accountID, t, match)
		return err
	}
	err = s.db.InTx(ctx, link)
	if err != nil && sqldb.IsUniqueViolation(err) {
		// A concurrent link of the same roster entry (another account, or a
		// double tap of this one) won the unique index; look again to give
		// the right answer.
		err = s.db.InTx(ctx, link)
	}
	if err != nil {
		return nil, err
	}
	if notFound != nil {
		return nil, notFound
	}
	return b, nil
}

// lookup finds the task's roster entries matching the document number or
// student number of in (validation errors are EINVALID with the identity
// package's Chinese message).
func (s *Service) lookup(ctx context.Context, tx *sqldb.Tx, t *xiaoxiang.Task, in LinkInput, now time.Time) ([]*xiaoxiang.RosterEntry, error) {
	if t.LinkMode == xiaoxiang.LinkByStudentNo {
		no, err := identity.NormalizeStudentNo(in.StudentNo)
		if err != nil {
			return nil, xiaoxiang.WrapError(xiaoxiang.EINVALID, identity.UserMessage(err), err)
		}
		return tx.FindRosterEntriesByStudentNo(ctx, t.ID, no)
	}
	indexes, err := s.docIndexes(in.DocKind, in.DocNumber, now)
	if err != nil {
		return nil, err
	}
	return tx.FindRosterEntriesByDocIndex(ctx, t.ID, indexes)
}

// docIndexes validates a document number and returns its blind indexes
// under every key of the ring, for the given kind or, when kind is empty,
// for every kind the number is valid for.
func (s *Service) docIndexes(kind, number string, now time.Time) ([]string, error) {
	if strings.TrimSpace(number) == "" {
		return nil, xiaoxiang.Errorf(xiaoxiang.EINVALID, "请填写证件号码。")
	}
	var kinds []identity.Kind
	if kind != "" {
		k := identity.Kind(kind)
		if !k.Valid() {
			return nil, xiaoxiang.Errorf(xiaoxiang.EINVALID, "请选择证件类型。")
		}
		kinds = []identity.Kind{k}
	} else {
		kinds = identity.Kinds()
	}
	var out []string
	var firstErr error
	for _, k := range kinds {
		n, err := identity.ValidateAt(k, number, now)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		out = append(out, s.keys.BlindIndexes(k, n)...)
	}
	if len(out) == 0 {
		if kind == "" {
			// Say what is wrong for the kind the number looks like.
			if k, ok := identity.Detect(number); ok {
				_, firstErr = identity.ValidateAt(k, number, now)
			} else {
				return nil, xiaoxiang.Errorf(xiaoxiang.EINVALID, "证件号码格式不正确：中国内地学生请输入18位居民身份证号，港澳台和海外学生请输入证件号码。")
			}
		}
		return nil, xiaoxiang.WrapError(xiaoxiang.EINVALID, identity.UserMessage(firstErr), firstErr)
	}
	return out, nil
}

// linkNotFound is the one answer for every failed lookup (seed step 5).
func linkNotFound(t *xiaoxiang.Task) error {
	what := "姓名和证件号"
	if t.LinkMode == xiaoxiang.LinkByStudentNo {
		what = "姓名和学号"
	}
	msg := "未查询到您的学籍信息，请按下列方法处理：" +
		"1. 检查个人信息是否输入有误？重新输入正确的" + what + "。" +
		"2. 不在学校线上采集名单中？请联系学校学籍部门添加。" +
		"3. 选择了错误的采集任务？返回重新选择采集任务。"
	if t.AllowManualEntry {
		msg += "4. 如果采集任务确认无误，您可以选择人工录入采集名单。"
	}
	return xiaoxiang.Errorf(xiaoxiang.ENOTFOUND, "%s", msg)
}

// bind links the account to the roster entry e of task t.
func (s *Service) bind(ctx context.Context, tx *sqldb.Tx, accountID int64, t *xiaoxiang.Task, e *xiaoxiang.RosterEntry) (*xiaoxiang.Binding, error) {
	cur, err := tx.FindActiveBindingByEntry(ctx, e.ID)
	switch {
	case err == nil && cur.AccountID == accountID:
		return cur, nil
	case err == nil:
		return nil, xiaoxiang.Errorf(xiaoxiang.ECONFLICT, "该学生信息已被其他微信账号关联。更换微信须先解除原微信账号绑定：请使用原微信进入“我的任务”解绑后，再用本微信关联。")
	case xiaoxiang.ErrorCode(err) != xiaoxiang.ENOTFOUND:
		return nil, err
	}
	if _, err := tx.FindActiveBindingByAccountTask(ctx, accountID, t.ID); err == nil {
		return nil, xiaoxiang.Errorf(xiaoxiang.ECONFLICT, "您的微信已关联本采集任务的其他学生信息。如需为他人操作，请先在“我的任务”中解绑后再关联。")
	} else if xiaoxiang.ErrorCode(err) != xiaoxiang.ENOTFOUND {
		return nil, err
	}
	b := &xiaoxiang.Binding{AccountID: accountID, RosterEntryID: e.ID, TaskID: t.ID, SchoolID: t.SchoolID, Status: xiaoxiang.BindingLinked}
	if e.Source == xiaoxiang.RosterManual && e.Manual == xiaoxiang.ManualPending {
		b.Status = xiaoxiang.BindingPending
	}
	if err := tx.CreateBinding(ctx, b); err != nil {
		return nil, err
	}
	if err := audit(ctx, tx, accountID, "link", fmt.Sprintf("roster:%d", e.ID), t.SchoolID, 1); err != nil {
		return nil, err
	}
	return b, nil
}

// cleanName trims a name and checks its length.
func cleanName(s string) (string, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return "", xiaoxiang.Errorf(xiaoxiang.EINVALID, "请填写真实姓名。")
	case utf8.RuneCountInString(s) > 50:
		return "", xiaoxiang.Errorf(xiaoxiang.EINVALID, "姓名过长，最多50个字。")
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return "", xiaoxiang.Errorf(xiaoxiang.EINVALID, "姓名含有无效字符。")
		}
	}
	return s, nil
}

// nameKey normalises a name for comparison: full-width to half-width, no
// spaces, ASCII upper case, and every middle-dot variant of minority and
// foreign names (· • ・ ．) as one dot.
func nameKey(s string) string {
	s = identity.Normalize(s)
	return strings.Map(func(r rune) rune {
		switch r {
		case '·', '•', '・', '.', '‧', '∙', '⋅':
			return '·'
		}
		return r
	}, s)
}

func sameName(a, b string) bool { return nameKey(a) == nameKey(b) }

// ManualEntryInput is the 人工录入 form.
type ManualEntryInput struct {
	Name      string
	DocKind   string // "" = detect from the number's shape
	DocNumber string // required in document mode
	StudentNo string // required in student-number mode
	College   string
	Major     string
	Class     string
}

// SubmitManualEntry creates a roster entry of source manual (pending school
// approval) and a pending binding, if the task allows manual entry. When the
// data matches an existing roster entry (name and number) the account is
// simply linked to it.
func (s *Service) SubmitManualEntry(ctx context.Context, accountID, taskID int64, in ManualEntryInput) (*xiaoxiang.Binding, error) {
	name, err := cleanName(in.Name)
	if err != nil {
		return nil, err
	}
	for _, f := range []*string{&in.College, &in.Major, &in.Class} {
		*f = strings.TrimSpace(*f)
		if utf8.RuneCountInString(*f) > 60 {
			return nil, xiaoxiang.Errorf(xiaoxiang.EINVALID, "院系、专业或班级名称过长，最多60个字。")
		}
	}
	now := s.now()
	var b *xiaoxiang.Binding
	err = s.db.InTx(ctx, func(tx *sqldb.Tx) error {
		if _, err := liveAccount(ctx, tx, accountID); err != nil {
			return err
		}
		if err := requireConsent(ctx, tx, accountID, xiaoxiang.ConsentIdentity); err != nil {
			return err
		}
		t, err := visibleTask(ctx, tx, taskID)
		if err != nil {
			return err
		}
		if err := t.CheckOpen(now); err != nil {
			return err
		}
		if !t.AllowManualEntry {
			return xiaoxiang.Errorf(xiaoxiang.EFORBIDDEN, "该采集任务不支持人工录入，请联系学校学籍部门将您加入采集名单。")
		}
		// A manual entry answers "on the roster or not" like a lookup, so it
		// counts against the same daily limit (else 人工录入 + 解绑 cycles
		// would allow unlimited probing).
		day := xiaoxiang.QuotaDay(now)
		failures, err := tx.CountLinkFailures(ctx, accountID, day)
		if err != nil {
			return err
		}
		if failures >= s.opts.LinkFailuresPerDay {
			return xiaoxiang.Errorf(xiaoxiang.ETOOMANY, "今日查询次数过多，请明天再试；如确认信息无误，请联系学校学籍部门。")
		}
		e := &xiaoxiang.RosterEntry{SchoolID: t.SchoolID, TaskID: t.ID, Name: name, College: in.College, Major: in.Major, Class: in.Class,
			Grade: t.Grade, Source: xiaoxiang.RosterManual, Manual: xiaoxiang.ManualPending}
		// Validate what the task's mode needs; in document mode a student
		// number is optional (and the other way round).
		if t.LinkMode == xiaoxiang.LinkByDocument || strings.TrimSpace(in.DocNumber) != "" {
			sd, err := s.sealInput(in.DocKind, in.DocNumber, now)
			if err != nil {
				return err
			}
			e.DocKind, e.DocCipher, e.DocIndex, e.DocLast4 = string(sd.Kind), sd.Cipher, sd.Index, sd.Last4
		}
		if t.LinkMode == xiaoxiang.LinkByStudentNo || strings.TrimSpace(in.StudentNo) != "" {
			no, err := identity.NormalizeStudentNo(in.StudentNo)
			if err != nil {
				return xiaoxiang.WrapError(xiaoxiang.EINVALID, identity.UserMessage(err), err)
			}
			e.StudentNo = no
		}
		// Already on the roster with this name: link directly.
		entries, err := s.lookup(ctx, tx, t, LinkInput{Name: name, DocKind: in.DocKind, DocNumber: in.DocNumber, StudentNo: in.StudentNo}, now)
		if err != nil {
			return err
		}
		for _, m := range entries {
			if sameName(m.Name, name) {
				b, err = s.bind(ctx, tx, accountID, t, m)
				return err
			}
		}
		if _, err := tx.FindActiveBindingByAccountTask(ctx, accountID, t.ID); err == nil {
			return xiaoxiang.Errorf(xiaoxiang.ECONFLICT, "您的微信已关联本采集任务的学生信息。如需为他人操作，请先在“我的任务”中解绑。")
		} else if xiaoxiang.ErrorCode(err) != xiaoxiang.ENOTFOUND {
			return err
		}
		if _, err := tx.AddLinkFailure(ctx, accountID, day); err != nil {
			return err
		}
		if err := tx.CreateRosterEntry(ctx, e); err != nil {
			return err
		}
		b = &xiaoxiang.Binding{AccountID: accountID, RosterEntryID: e.ID, TaskID: t.ID, SchoolID: t.SchoolID, Status: xiaoxiang.BindingPending}
		if err := tx.CreateBinding(ctx, b); err != nil {
			return err
		}
		return audit(ctx, tx, accountID, "manual_entry", fmt.Sprintf("roster:%d", e.ID), t.SchoolID, 1)
	})
	if err != nil {
		return nil, err
	}
	return b, nil
}

// sealInput validates (detecting the kind when empty) and seals a number.
func (s *Service) sealInput(kind, number string, now time.Time) (SealedDocument, error) {
	if strings.TrimSpace(number) == "" {
		return SealedDocument{}, xiaoxiang.Errorf(xiaoxiang.EINVALID, "请填写证件号码。")
	}
	k := identity.Kind(kind)
	if kind == "" {
		var ok bool
		if k, ok = identity.Detect(number); !ok {
			return SealedDocument{}, xiaoxiang.Errorf(xiaoxiang.EINVALID, "证件号码格式不正确：中国内地学生请输入18位居民身份证号，港澳台和海外学生请输入证件号码。")
		}
	}
	return s.sealAt(k, number, now)
}

// Unbind (解绑) releases the account's binding so another account can link
// the roster entry. Paid orders and submitted photos stay with the roster
// entry (a later binding of the same entry does not pay again). A pending
// manual entry is withdrawn.
func (s *Service) Unbind(ctx context.Context, accountID, bindingID int64) error {
	return s.db.InTx(ctx, func(tx *sqldb.Tx) error {
		b, err := ownBinding(ctx, tx, accountID, bindingID)
		if err != nil {
			return err
		}
		return unbind(ctx, tx, b)
	})
}

func unbind(ctx context.Context, tx *sqldb.Tx, b *xiaoxiang.Binding) error {
	if !b.Active() {
		return xiaoxiang.Errorf(xiaoxiang.ECONFLICT, "该任务已解除绑定。")
	}
	ok, err := tx.SetBindingStatus(ctx, b.ID, b.Status, xiaoxiang.BindingUnbound)
	if err != nil {
		return err
	}
	if !ok {
		return xiaoxiang.Errorf(xiaoxiang.ECONFLICT, "该任务已解除绑定。")
	}
	if b.Status == xiaoxiang.BindingPending {
		if err := tx.SetManualStatus(ctx, b.RosterEntryID, xiaoxiang.ManualRejected, "学生已撤回"); err != nil {
			return err
		}
	}
	b.Status = xiaoxiang.BindingUnbound
	return audit(ctx, tx, b.AccountID, "unbind", fmt.Sprintf("roster:%d", b.RosterEntryID), b.SchoolID, 1)
}

// SealedDocument is a document number ready for the roster table.
type SealedDocument struct {
	Kind   identity.Kind
	Cipher string // identity.Keyring.Seal output
	Index  string // blind index for lookup
	Last4  string
}

// SealDocument validates, normalises and seals a document number for a
// roster entry (roster import and manual entry use it).
func (s *Service) SealDocument(kind identity.Kind, number string) (SealedDocument, error) {
	return s.sealAt(kind, number, s.now())
}

func (s *Service) sealAt(kind identity.Kind, number string, now time.Time) (SealedDocument, error) {
	n, err := identity.ValidateAt(kind, number, now)
	if err != nil {
		return SealedDocument{}, xiaoxiang.WrapError(xiaoxiang.EINVALID, identity.UserMessage(err), err)
	}
	cipher, err := s.keys.SealString(n, docAD)
	if err != nil {
		return SealedDocument{}, fmt.Errorf("core: seal document: %w", err)
	}
	return SealedDocument{Kind: kind, Cipher: cipher, Index: s.keys.BlindIndex(kind, n), Last4: identity.Last4(n)}, nil
}

// OpenDocument decrypts a roster entry's document number (for exports and
// audited reveals; never log the result). Entries without one give "".
func (s *Service) OpenDocument(e *xiaoxiang.RosterEntry) (string, error) {
	if e.DocCipher == "" {
		return "", nil
	}
	n, err := s.keys.OpenString(e.DocCipher, docAD)
	if err != nil {
		return "", fmt.Errorf("core: open document of roster entry %d: %w", e.ID, err)
	}
	return n, nil
}
