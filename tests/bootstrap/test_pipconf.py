"""The site's pip configuration as real pip reports it, and its uv translation."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from scratchenv.bootstrap import pipconf


def test_real_pip_config_with_its_precedence(tmp_path: Path, monkeypatch):
    conf = tmp_path / "pip.conf"
    conf.write_text("[global]\nindex-url = https://global.example/simple\n"
                    "find-links = /a\n  /b\n[install]\nindex-url = https://site.example/simple\n"
                    "[download]\nno-index = true\n")
    for name in [n for n in os.environ if n.startswith("PIP_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("PIP_CONFIG_FILE", str(conf))
    monkeypatch.setenv("PIP_EXTRA_INDEX_URL", "https://one.example/simple https://two.example")
    config = pipconf.read(sys.executable, dict(os.environ))
    assert config is not None
    assert config["index-url"] == "https://site.example/simple"  # install over global
    assert config["find-links"].split() == ["/a", "/b"]
    assert "no-index" not in config  # another command's section
    t = pipconf.translate(config, {})
    assert t.blocker is None
    args = " ".join(t.args)
    assert "--default-index https://site.example/simple" in args
    assert "--find-links /a --find-links /b" in args
    assert "--index https://one.example/simple --index https://two.example " \
           "--index-strategy unsafe-best-match" in args


def test_translation_of_each_kind():
    t = pipconf.translate({"no-index": "1", "pre": "false", "constraint": "c.txt",
                           "trusted-host": "h1 h2", "cert": "/etc/ca.pem",
                           "proxy": "http://p:3128", "timeout": "60",
                           "disable-pip-version-check": "1", "cache-dir": "/x"},
                          {"HTTP_PROXY": "http://mine:1"})
    assert t.blocker is None
    assert t.args == ["--constraint", "c.txt", "--no-index",
                      "--allow-insecure-host", "h1", "--allow-insecure-host", "h2"]
    assert t.env == {"SSL_CERT_FILE": "/etc/ca.pem", "HTTPS_PROXY": "http://p:3128",
                     "UV_HTTP_TIMEOUT": "60"}
    assert "pre" not in " ".join(t.args) and "cache-dir" not in t.used
    assert pipconf.translate({"user": "true"}, {}).blocker == \
        "uv has no equivalent of pip's `user` setting"
