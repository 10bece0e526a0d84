using System.Text.RegularExpressions;

namespace Gateway.Listeners;

/// <summary>A listener's name is also its id in routes and watch scopes, so it is kept URL- and scope-safe.</summary>
internal static partial class ListenerNames
{
    public const string Rule = "1-64 characters: letters, digits, '-', '_' or '.'";

    public static bool IsValid(string? name) => name is not null && Pattern().IsMatch(name);

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex Pattern();
}
