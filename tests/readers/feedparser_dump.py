#!/usr/bin/env python3
"""Prints, as JSON, what Python's feedparser reads in each feed file named.

feedparser is the parser behind many aggregators and scripts; tests/readers.rs
compares what it reads with what feed-rs and newsboat read. Dates become Unix
seconds (feedparser gives them in UTC); a field feedparser did not find is null.

Usage: feedparser_dump.py FEED...   (one JSON object per feed, one per line)
"""

import calendar
import json
import sys

import feedparser


def seconds(parsed):
    return None if parsed is None else calendar.timegm(parsed)


def links(holder):
    return [
        {"rel": link.get("rel"), "href": link.get("href"), "type": link.get("type")}
        for link in holder.get("links", [])
    ]


def entry_summary(entry):
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
    }


def feed_summary(path):
    parsed = feedparser.parse(path)
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
        "entries": [entry_summary(entry) for entry in parsed.entries],
    }


def main():
    for path in sys.argv[1:]:
        print(json.dumps(feed_summary(path), ensure_ascii=False))


if __name__ == "__main__":
    main()
