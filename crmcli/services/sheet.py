"""The rest of the handling sheet (seed 004 《客戶投訴處置表》), each an entry in the complaint's
history (so `complaint void-event` takes it back and the figures follow):

- the department complained about (``assigned``) and its handling plan (``planned``: 被投訴部門
  接到…後,1小時內…制定處理措施,填寫到"處理方法"欄目,負責人簽字確認);
- referral letters (《工作聯繫函》, ``referred``; ``referral_done`` closes one): see
  ``crmcli.services.referrals``;
- validity (``validity``: 有效投訴 or 無理投訴, the latter answered with an explanation and
  left out of the figures that measure service failures);
- the department head's opinion (``opinion``: 資產管理部負責人…填寫意見);
- the result told to the customer (``notified``; 處理結果要以書面形式告知客戶).
"""

from __future__ import annotations

from datetime import datetime

from crmcli.dates import short_local, to_db
from crmcli.errors import BadInput, IllegalTransition
from crmcli.fields import clean_text
from crmcli.i18n import _
from crmcli.services import Session, complaints

VALIDITIES = ("valid", "unreasonable")


def _required(value: str | None, option: str, what: str) -> str:
    text = clean_text(value, option, multiline=True) if value else None
    if not text:
        raise BadInput(f"{option}: {what}.")
    return text


def assign(session: Session, complaint_id: int, department: str, *, at: datetime | None,
           by: str | None, reason: str | None = None) -> complaints.Complaint:
    """Name the department complained about; its handling plan is due within
    ``plan_minutes`` from then (another department's plan still owed ends here)."""
    dept = _required(department, "--department", "name the department complained about")
    current = complaints.load(session, complaint_id).row["department"]
    if current == dept:
        raise BadInput(_("Complaint #{complaint_id} is already with {dept}.").format(
            complaint_id=complaint_id, dept=dept))
    why = clean_text(reason, "--reason", multiline=True) if reason else None
    note = f"department complained about: {dept}" + (f" ({why})" if why else "")
    return complaints.act(session, complaint_id, "assigned", at=at, by=by, note=note,
                          reason=why, field="department", old=current, new=dept)


def plan(session: Session, complaint_id: int, text: str, *, at: datetime | None,
         by: str | None) -> complaints.Complaint:
    """The department's handling plan (處理方法), signed by whoever is responsible."""
    body = _required(text, "--text", "write the handling plan")
    department = complaints.load(session, complaint_id).row["department"]
    if not department:
        raise IllegalTransition(
            _("Complaint #{complaint_id} has no department yet; name it first (crmcli "
              "complaint edit {complaint_id} --department DEPT).").format(
                complaint_id=complaint_id))
    return complaints.act(session, complaint_id, "planned", at=at, by=by, note=body,
                          to=department, field="plan", new=body)


def refer(session: Session, complaint_id: int, to: str, due: datetime, text: str | None, *,
          at: datetime | None, by: str | None) -> complaints.Complaint:
    """A 《工作聯繫函》: the problem handed to another department, to be solved by ``due``."""
    dept = _required(to, "--to", "name the department the letter goes to")
    body = clean_text(text, "--text", multiline=True) if text else None
    moment = at or session.now
    if due <= moment:
        raise BadInput(_("--due {due} is not after the letter ({moment}).").format(
            due=short_local(due), moment=short_local(moment)))
    return complaints.act(session, complaint_id, "referred", at=at, by=by,
                          note=body or f"work letter to {dept}", to=dept, field="letter",
                          new=to_db(due), referred_to=dept)


def refer_done(session: Session, complaint_id: int, letter_id: int, note: str | None, *,
               at: datetime | None, by: str | None) -> complaints.Complaint:
    """The department answered a letter: it is closed."""
    from crmcli.services import referrals

    letter = referrals.get(session, complaint_id, letter_id)
    if letter["done_at"] is not None:
        raise IllegalTransition(_("Letter #{letter_id} of complaint #{complaint_id} "
                                  "was already closed at {done_at}.").format(
            letter_id=letter_id, complaint_id=complaint_id, done_at=short_local(letter['done_at'])))
    if at is not None and at < letter["at"]:
        raise BadInput(_("--at {at} is before the letter was sent ({sent}).").format(
            at=short_local(at), sent=short_local(letter["at"])))
    body = clean_text(note, "--note", multiline=True) if note else None
    return complaints.act(session, complaint_id, "referral_done", at=at, by=by,
                          note=body or f"letter #{letter_id} to {letter['to']} done",
                          to=letter["to"], field="letter", old=str(letter_id))


def judge(session: Session, complaint_id: int, validity: str, reason: str | None, *,
          at: datetime | None, by: str | None) -> complaints.Complaint:
    """Valid (有效投訴) or unreasonable (無理投訴: a reason is required)."""
    if validity not in VALIDITIES:
        raise BadInput(_("validity: {validity!r} is not valid or unreasonable.").format(
            validity=validity))
    why = clean_text(reason, "--reason", multiline=True) if reason else None
    if validity == "unreasonable" and not why:
        raise BadInput(_("--reason: say why the complaint is unreasonable (the "
                         "explanation given to the customer)."))
    current = complaints.load(session, complaint_id).row["validity"] or "valid"
    return complaints.act(session, complaint_id, "validity", at=at, by=by,
                          note=why or f"judged {validity}", reason=why, field="validity",
                          old=current, new=validity)


def opinion(session: Session, complaint_id: int, text: str, *, at: datetime | None,
            by: str | None) -> complaints.Complaint:
    """The department head's opinion on the sheet."""
    body = _required(text, "--text", "write the opinion")
    return complaints.act(session, complaint_id, "opinion", at=at,
                          by=by or session.policies.current.department_head, note=body,
                          field="opinion", new=body)


def notify(session: Session, complaint_id: int, written: bool, note: str | None, *,
           at: datetime | None, by: str | None) -> complaints.Complaint:
    """The result told to the customer: in writing (``written``) or by word of mouth."""
    body = clean_text(note, "--note", multiline=True) if note else None
    how = "written" if written else "verbal"
    return complaints.act(session, complaint_id, "notified", at=at, by=by,
                          note=body or f"result told to the customer ({how})",
                          field="notice", new=how)
