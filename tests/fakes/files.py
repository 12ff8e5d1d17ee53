"""Files in the fake Slack: uploads through files.getUploadURLExternal, and files people shared."""

from __future__ import annotations

import threading
from email import policy
from email.parser import BytesParser
from urllib.parse import quote

from tests.fakes.oauth import Grants
from tests.fakes.wire import Answer, Call, bearer_token

SIGN_IN_PAGE = {"Content-Type": "text/html; charset=utf-8"}


def uploaded_bytes(content_type: str, body: bytes) -> bytes:
    """The file in an upload: slack_sdk sends it raw, other clients as a multipart form."""
    if not content_type.startswith("multipart/form-data"):
        return body
    head = f"Content-Type: {content_type}\r\n\r\n".encode()
    message = BytesParser(policy=policy.HTTP).parsebytes(head + body)
    parts = list(message.iter_parts())
    chosen = next((p for p in parts if p.get_filename()), parts[0] if parts else None)
    return chosen.get_payload(decode=True) if chosen is not None else b""


class Files:
    """FakeSlack's files: what apps uploaded, and the files people shared with the app."""

    _cond: threading.Condition
    _uploads: dict[str, bytes]
    _upload_names: dict[str, str]
    _shared_files: dict[str, tuple[bytes, str]]
    _file_redirects: dict[str, str]
    grants: Grants
    scopes: tuple[str, ...]

    @property
    def uploads(self) -> dict[str, bytes]:
        with self._cond:
            return dict(self._uploads)

    def _serve_upload(self, file_id: str, content_type: str, body: bytes) -> Answer:
        failure = self._begin("upload")
        data = uploaded_bytes(content_type, body)
        if failure is not None:
            answer = self._failure_answer(failure, api=False)
        elif file_id not in self._upload_names:
            answer = Answer(404, "file_not_found")
        else:
            answer = Answer(200, f"OK - {len(data)}")
        with self._cond:
            if answer.ok:
                self._uploads[file_id] = data
            args = {"file_id": file_id, "length": len(data)}
            self._record(Call("upload", args, answer.status, answer.ok, answer.error))
        return answer

    def share_file(
        self,
        name: str,
        data: bytes,
        mimetype: str = "text/markdown",
        filetype: str = "markdown",
        redirect: str | None = None,
    ) -> dict:
        """A file a person shared with the app, as Slack describes it in a `file_share` message event.
        With `redirect`, its link answers with a redirect there instead (302)."""
        file_id = f"F{self._next('file'):08d}"
        with self._cond:
            self._shared_files[file_id] = (data, mimetype)
            if redirect:
                self._file_redirects[file_id] = redirect
        url = f"{self.base}/files-pri/{file_id}/{quote(name)}"  # percent-encoded, as Slack's are
        return {
            "id": file_id,
            "name": name,
            "title": name,
            "mimetype": mimetype,
            "filetype": filetype,
            "size": len(data),
            "mode": "hosted",
            "url_private": url,
            "url_private_download": url + "?download=1",
        }

    def _serve_file(self, file_id: str, authorization: str | None) -> Answer:
        """A file's bytes, for a bot token with files:read. Like Slack, anything else gets the sign-in
        page (HTML, status 200), not an error the client would notice by its status."""
        failure = self._begin("download")
        token = bearer_token(authorization)
        grant, _refused = self.grants.check(token) if token else (None, None)
        with self._cond:
            shared = self._shared_files.get(file_id)
        if failure is not None:
            answer = self._failure_answer(failure, api=False)
        elif shared is None:
            answer = Answer(404, "file_not_found")
        elif grant is None or "files:read" not in self.scopes:
            answer = Answer(200, b"<!DOCTYPE html><html><body>Sign in to Slack</body></html>", SIGN_IN_PAGE)
        elif file_id in self._file_redirects:
            answer = Answer(302, b"", {"Location": self._file_redirects[file_id]})
        else:
            answer = Answer(200, shared[0], {"Content-Type": shared[1]})
        self._record(Call("download", {"file_id": file_id}, answer.status, answer.ok and shared is not None))
        return answer

    def _upload_url(self, args: dict) -> dict:
        file_id = f"F{self._next('file')}"
        with self._cond:
            self._upload_names[file_id] = args.get("filename", "")
        return {"file_id": file_id, "upload_url": f"{self.base}/upload/{file_id}"}

    def _complete_upload(self, args: dict) -> dict:
        entries = args.get("files") if isinstance(args.get("files"), list) else []
        entries = [e if isinstance(e, dict) else {"id": e} for e in entries]
        uploads = self.uploads
        if not entries or any(e.get("id") not in uploads for e in entries):
            return {"ok": False, "error": "file_not_found"}
        return {"files": [self._file_info(e["id"], e.get("title"), uploads[e["id"]]) for e in entries]}

    def _file_info(self, file_id: str, title: str | None, data: bytes) -> dict:
        name = self._upload_names.get(file_id)
        return {"id": file_id, "name": name, "title": title or name, "size": len(data)}
