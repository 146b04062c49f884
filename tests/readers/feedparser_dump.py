#!/usr/bin/env python3
"""Prints, as JSON, what Python's feedparser reads in each feed file named.

feedparser is the parser behind many aggregators and scripts; tests/readers.rs
compares what it reads with what feed-rs reads. Dates become Unix seconds
(feedparser gives them in UTC); a field feedparser did not find is null.
Each entry also says what, if anything, feedparser's HTML sanitizer took out
of its summary or content: markup that cautious readers drop.

Usage: feedparser_dump.py FEED...   (one JSON object per feed, one per line)
"""

import calendar
import json
import sys
from html.parser import HTMLParser

import feedparser


class Tokens(HTMLParser):
    """HTML as a list of tags (attributes sorted) and words, so that two
    spellings of the same markup (`&#39;` and `'`) compare equal."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tokens = []

    def handle_starttag(self, tag, attrs):
        self.tokens.append(["<", tag, sorted(attrs)])

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        self.tokens.append(["</", tag])

    def handle_data(self, data):
        self.tokens.extend(data.split())


def tokens(html):
    parser = Tokens()
    parser.feed(html or "")
    parser.close()
    return parser.tokens


def sanitized_away(entry, raw):
    """The first markup of `raw` (the entry read without sanitizing) that
    feedparser's sanitizer took out or changed, or None."""
    pairs = [(entry.get("summary"), raw.get("summary"))] + [
        (part.get("value"), raw_part.get("value"))
        for part, raw_part in zip(entry.get("content", []), raw.get("content", []))
    ]
    for kept, given in pairs:
        kept, given = tokens(kept), tokens(given)
        if kept != given:
            for a, b in zip(kept + [None], given + [None]):
                if a != b:
                    return {"kept": a, "given": b}
    return None


def seconds(parsed):
    return None if parsed is None else calendar.timegm(parsed)


def links(holder):
    return [
        {"rel": link.get("rel"), "href": link.get("href"), "type": link.get("type")}
        for link in holder.get("links", [])
    ]


def entry_summary(entry, raw):
    return {
        "id": entry.get("id"),
        "title": entry.get("title"),
        "link": entry.get("link"),
        "links": links(entry),
        "published": seconds(entry.get("published_parsed")),
        "updated": seconds(entry.get("updated_parsed")),
        # Atom: xml:lang on the entry; RSS: dc:language.
        "language": entry.get("language") or entry.get("title_detail", {}).get("language"),
        "categories": [tag.get("term") for tag in entry.get("tags", [])],
        "author": entry.get("author"),
        "summary": entry.get("summary"),
        "content": [part.get("value") for part in entry.get("content", [])],
        "sanitized_away": sanitized_away(entry, raw),
    }


def feed_summary(path):
    parsed = feedparser.parse(path)
    raw = feedparser.parse(path, sanitize_html=False)
    feed = parsed.feed
    return {
        "path": path,
        "version": parsed.get("version"),
        "bozo": bool(parsed.get("bozo")),
        "bozo_exception": str(parsed.get("bozo_exception", "")),
        "title": feed.get("title"),
        "language": feed.get("language"),
        "links": links(feed),
        "updated": seconds(feed.get("updated_parsed")),
        "entries": [
            entry_summary(entry, raw_entry)
            for entry, raw_entry in zip(parsed.entries, raw.entries)
        ],
    }


def main():
    for path in sys.argv[1:]:
        print(json.dumps(feed_summary(path), ensure_ascii=False))


if __name__ == "__main__":
    main()
