package flow

import (
	"context"
	"errors"
	"fmt"

	"github.com/otpair/otpair/verifier"
)

// Error codes of in-flow errors (the response's error.code), the API's where one fits.
const (
	codeWrongCode    = "E061102"
	codeLocked       = "E061103"
	codeUserNotFound = "E062108"
	codeUserExists   = "E062107"
	codeBadToken     = "E011004"
	codeMissing      = "E011002"
	codeBadInput     = "E011003"
	codeFlowFailed   = "E103100"
)

// action runs an action step. It returns the step to go to, or done when the
// execution now waits on a screen or ended. An error is a failure that is not the
// flow's (storage, a broken backend): the call fails with it.
func (rc *run) action(ctx context.Context, s *Step) (next string, done bool, err error) {
	a := s.Action
	args := map[string]any{}
	for k, ex := range a.With {
		v, err := ex.eval(rc.st.Vars)
		if err != nil {
			return "", true, rc.fail(s, internalError(s, err))
		}
		args[k] = v
	}
	out, serr, err := rc.call(ctx, s, args)
	if err != nil {
		return "", true, err
	}
	if serr == nil {
		if a.Output != "" && out != nil {
			rc.st.Vars[a.Output] = out
		}
		if a.ErrorVar != "" {
			delete(rc.st.Vars, a.ErrorVar)
		}
		rc.trace(s, "success", s.Next["success"], nil)
		return s.Next["success"], false, nil
	}
	serr.Step = s.ID
	if a.ErrorVar != "" {
		rc.st.Vars[a.ErrorVar] = map[string]any{"type": serr.Type, "text": serr.Text, "code": serr.Code, "step": s.ID}
	}
	pol, ok := a.OnError[serr.Type]
	if !ok {
		pol = a.OnError[""]
	}
	if pol == "" {
		pol = Automatic
	}
	switch pol {
	case Ignore:
		rc.trace(s, "ignored "+serr.Type, s.Next["success"], serr)
		return s.Next["success"], false, nil
	case FailureBranch:
		to, ok := s.Next[serr.Type]
		if !ok {
			to = s.Next["failure"]
		}
		rc.trace(s, "branch "+serr.Type, to, serr)
		return to, false, nil
	case Automatic:
		if back := rc.f.Steps[rc.st.Step]; back != nil && back.Kind == KindScreen {
			rc.trace(s, "error "+serr.Type, back.ID, serr)
			return "", true, rc.wait(back, serr)
		}
	}
	rc.trace(s, "abort "+serr.Type, "", serr)
	return "", true, rc.fail(s, serr)
}

func argString(args map[string]any, k string) string {
	switch v := args[k].(type) {
	case string:
		return v
	case nil:
		return ""
	default:
		return fmt.Sprint(v)
	}
}

// call runs the verifier call of an action. A failure the flow handles (a wrong code,
// an unknown user) is a StepError; any other is err.
func (rc *run) call(ctx context.Context, s *Step, args map[string]any) (out any, serr *StepError, err error) {
	b := rc.e.b
	login := argString(args, "loginId")
	switch s.Action.Name {
	case ActionSet:
		return args, nil, nil
	case ActionSignUp:
		en, err := b.SignUp(ctx, login, verifier.UserInfo{Name: argString(args, "name"), Email: argString(args, "email"), Phone: argString(args, "phone")})
		if err != nil {
			return classify(err, false)
		}
		return rc.enrollment(s, login, en), nil, nil
	case ActionUpdate:
		if rc.refresh == "" {
			return nil, &StepError{Type: ErrTypeUnauthorized, Text: "sign in first: this flow needs the refresh token of a signed-in user", Code: codeBadToken}, nil
		}
		u, err := b.Me(ctx, rc.refresh)
		if err != nil {
			return classify(err, false)
		}
		if login == "" {
			login = u.LoginID
		}
		en, err := b.Update(ctx, login, rc.refresh)
		if err != nil {
			return classify(err, false)
		}
		rc.st.Vars[VarUser] = userVar(u)
		rc.st.Enrolled = login
		return rc.enrollment(s, login, en), nil, nil
	case ActionLoadUser:
		var u verifier.User
		if login == "" {
			if rc.refresh == "" {
				return nil, &StepError{Type: ErrTypeUnauthorized, Text: "sign in first: this flow needs the refresh token of a signed-in user", Code: codeBadToken}, nil
			}
			u, err = b.Me(ctx, rc.refresh)
		} else {
			u, err = b.LoadUser(ctx, login)
		}
		if err != nil {
			return classify(err, false)
		}
		rc.st.Vars[VarUser] = userVar(u)
		return userVar(u), nil, nil
	case ActionDeleteSeed:
		if err := b.DeleteSeed(ctx, login); err != nil {
			return classify(err, false)
		}
		return map[string]any{"seedDeleted": true}, nil, nil
	case ActionSignIn, ActionSignUpOrIn:
		return rc.signIn(ctx, s, login, argString(args, "code"), args["customClaims"])
	}
	return nil, nil, fmt.Errorf("flow %s: step %q: unknown action %q", rc.f.ID, s.ID, s.Action.Name)
}

func (rc *run) signIn(ctx context.Context, s *Step, login, code string, claims any) (any, *StepError, error) {
	b := rc.e.b
	var sess verifier.Session
	var err error
	if claims != nil {
		cm, ok := claims.(map[string]any)
		if !ok {
			return nil, &StepError{Type: ErrTypeBadInput, Text: "customClaims must be an object", Code: codeBadInput}, nil
		}
		sw, ok := b.(verifier.OptionsSignIner)
		if !ok {
			return nil, &StepError{Type: ErrTypeBadInput, Text: "this backend cannot add custom claims", Code: codeBadInput}, nil
		}
		sess, err = sw.SignInWithOptions(ctx, login, code, verifier.LoginOptions{CustomClaims: cm})
	} else {
		sess, err = b.SignIn(ctx, login, code)
	}
	if err != nil {
		// A sign-in never says whether the user exists: an unknown login id fails as
		// a wrong code does. Sign-up-or-in created the user at its start, so there
		// UserNotFound means the enrolment was lost (expired, deleted).
		return classify(err, s.Action.Name == ActionSignIn)
	}
	if rc.st.Enrolled != "" && rc.st.Enrolled == login && sess.User.Pending {
		// The code came from the authenticator being replaced, which still works; the
		// flow is about the new one, so this is not its confirmation.
		_ = b.Logout(ctx, sess.RefreshJWT)
		return nil, &StepError{Type: ErrTypeVerifyFailed, Text: "that code is from the old authenticator: enter a code from the new one", Code: codeWrongCode}, nil
	}
	rc.st.Sess = sessionStateOf(sess)
	rc.st.Vars[VarUser] = userVar(sess.User)
	return map[string]any{"firstSeen": sess.FirstSeen, "userId": sess.User.ID}, nil, nil
}

// enrollment is an enrolment as a variable: the provisioning URL and the key (the
// state is sealed); its QR image is kept for this call only.
func (rc *run) enrollment(s *Step, login string, en verifier.Enrollment) map[string]any {
	if rc.images == nil {
		rc.images = map[string][]byte{}
	}
	if s.Action.Output != "" {
		rc.images[s.Action.Output] = en.Image
	}
	return map[string]any{"loginId": login, "provisioningURL": en.ProvisioningURL, "key": en.Key}
}

func userVar(u verifier.User) map[string]any {
	return map[string]any{"userId": u.ID, "loginId": u.LoginID, "name": u.Name, "email": u.Email, "phone": u.Phone, "totp": u.TOTP}
}

// classify turns a backend error into the flow's error, or returns it as a failure that
// is not the flow's. hideUser reports an unknown user as a wrong code.
func classify(err error, hideUser bool) (any, *StepError, error) {
	se := &StepError{}
	switch {
	case errors.Is(err, verifier.ErrLocked):
		se.Type, se.Text, se.Code = ErrTypeLocked, "too many failed attempts: try again later", codeLocked
	case errors.Is(err, verifier.ErrCodeReused):
		se.Type, se.Text, se.Code = ErrTypeVerifyFailed, "this code was already used: wait for the next one", codeWrongCode
	case errors.Is(err, verifier.ErrWrongCode), errors.Is(err, verifier.ErrNoSeed):
		se.Type, se.Text, se.Code = ErrTypeVerifyFailed, "invalid code", codeWrongCode
	case errors.Is(err, verifier.ErrUnknownUser) && hideUser:
		se.Type, se.Text, se.Code = ErrTypeVerifyFailed, "invalid code", codeWrongCode
	case errors.Is(err, verifier.ErrUnknownUser):
		se.Type, se.Text, se.Code = ErrTypeUserNotFound, "user not found", codeUserNotFound
	case errors.Is(err, verifier.ErrUserExists):
		se.Type, se.Text, se.Code = ErrTypeUserExists, "user already exists", codeUserExists
	case errors.Is(err, verifier.ErrBadToken):
		se.Type, se.Text, se.Code = ErrTypeUnauthorized, "sign in again: the session is not valid", codeBadToken
	case errors.Is(err, verifier.ErrMissingArgument):
		se.Type, se.Text, se.Code = ErrTypeBadInput, err.Error(), codeMissing
	case errors.Is(err, verifier.ErrBadRequest):
		se.Type, se.Text, se.Code = ErrTypeBadInput, err.Error(), codeBadInput
	default:
		return nil, nil, err
	}
	return nil, se, nil
}
