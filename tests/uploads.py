"""Files the app uploaded to the fake Slack, by the name each was announced with."""

from __future__ import annotations


def uploaded_files(fake) -> dict[str, bytes]:
    """Filename -> bytes. slack_sdk asks for every upload URL, then uploads in the same order."""
    names = [call.args["filename"] for call in fake.calls_to("files.getUploadURLExternal")]
    data = list(fake.uploads.values())
    assert len(names) == len(data), f"{len(names)} upload URLs for {len(data)} uploads"
    return dict(zip(names, data, strict=True))


def uploaded(fake, suffix: str) -> bytes:
    """The one uploaded file whose name ends with `suffix` (".md", ".json", ".csv")."""
    [data] = [data for name, data in uploaded_files(fake).items() if name.endswith(suffix)]
    return data
