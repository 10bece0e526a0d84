using System.Text.RegularExpressions;

namespace Gateway.Capture;

/// <summary>What a person marked on a session or a message: a star, tags and a note (<c>annotations</c> on it).</summary>
/// <param name="Starred">Bookmarked.</param>
/// <param name="Tags">Short labels (letters, digits, <c>. _ : -</c>), searchable with <c>tag=</c>.</param>
/// <param name="Note">Free text.</param>
public sealed partial record Annotations(bool Starred, IReadOnlyList<string> Tags, string? Note)
{
    public const int MaxTags = 32;
    public const int MaxNoteChars = 4000;

    /// <summary>Nothing marked: stored as no row at all.</summary>
    public bool IsEmpty => !Starred && Tags.Count == 0 && string.IsNullOrEmpty(Note);

    /// <summary>Checks and tidies a request (tags trimmed, de-duplicated, in the order given); a 400 naming what is wrong.</summary>
    internal static Annotations From(AnnotationsRequest request)
    {
        var tags = new List<string>();
        foreach (var raw in request.Tags ?? [])
        {
            var tag = raw?.Trim() ?? "";
            if (!TagPattern().IsMatch(tag))
            {
                throw Sessions.CommandException.BadInput($"tag '{raw}' is not a tag: 1 to 64 letters, digits or . _ : -");
            }

            if (!tags.Contains(tag, StringComparer.OrdinalIgnoreCase))
            {
                tags.Add(tag);
            }
        }

        if (tags.Count > MaxTags)
        {
            throw Sessions.CommandException.BadInput($"at most {MaxTags} tags (were {tags.Count}).");
        }

        if (request.Note is { Length: > MaxNoteChars })
        {
            throw Sessions.CommandException.BadInput($"note is longer than {MaxNoteChars} characters.");
        }

        return new Annotations(request.Starred ?? false, tags, string.IsNullOrWhiteSpace(request.Note) ? null : request.Note);
    }

    [GeneratedRegex(@"^[A-Za-z0-9._:-]{1,64}$")]
    private static partial Regex TagPattern();
}

/// <summary>One place (a session: seq 0, or a message) whose marks changed, with its marks now (null: removed).</summary>
internal sealed record AnnotationChange(long Change, long SessionId, long Seq, Annotations? Annotations);

/// <summary>A session's or a message's marks as written: <c>{starred, tags: [...], note}</c> (all replaced; an empty one removes them).</summary>
public sealed record AnnotationsRequest(bool? Starred, IReadOnlyList<string?>? Tags, string? Note);
