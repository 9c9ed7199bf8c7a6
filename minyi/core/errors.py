"""Domain exceptions.

The library raises these with a one-line message that names the file, row or field at
fault. The CLI turns them into exit code 2 and one line on stderr; the web application
turns them into an HTTP 4xx response carrying ``message_zh`` (Chinese, for users).
"""

from __future__ import annotations


class MinyiError(Exception):
    """Base class for every error a user can cause and fix."""

    http_status: int = 400
    default_zh: str = "请求无法处理"

    def __init__(self, message: str, *, message_zh: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.message_zh = message_zh or self.default_zh

    def __str__(self) -> str:  # one line, always
        return " ".join(self.message.split())


class InputError(MinyiError):
    """A file, record or argument cannot be read or understood."""

    default_zh = "输入内容有误"


class NotFoundError(MinyiError):
    """A consultation, draft, suggestion … that does not exist."""

    http_status = 404
    default_zh = "未找到相应记录"


class ConfigError(MinyiError):
    """Settings are inconsistent or name something unknown."""

    default_zh = "配置有误"


class ConflictError(MinyiError):
    """The request clashes with what is stored (duplicate name, stale state)."""

    http_status = 409
    default_zh = "与现有记录冲突"


class PermissionDenied(MinyiError):
    """The user's role does not allow this action."""

    http_status = 403
    default_zh = "没有执行该操作的权限"


class DependencyMissing(MinyiError):
    """An optional component (LibreOffice, a model, an extra) is not installed."""

    default_zh = "缺少所需的组件"


class CrawlError(MinyiError):
    """A site could not be crawled (unreachable, too many errors)."""

    default_zh = "网站抓取失败"
