using System.Globalization;

/// <summary>The "--key value" arguments of a command.</summary>
internal sealed class Options
{
    private readonly Dictionary<string, string> _values = new();

    public static Options Parse(IEnumerable<string> args)
    {
        var options = new Options();
        string? key = null;
        foreach (var arg in args)
        {
            if (arg.StartsWith("--", StringComparison.Ordinal))
            {
                key = arg[2..];
                options._values[key] = "";
            }
            else if (key is not null)
            {
                options._values[key] = arg;
                key = null;
            }
        }

        return options;
    }

    public bool Has(string key) => _values.ContainsKey(key);

    public string Str(string key) => _values.TryGetValue(key, out var v) ? v : throw new ArgumentException($"--{key} is required");

    public int Int(string key, int? fallback = null) =>
        _values.TryGetValue(key, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback ?? throw new ArgumentException($"--{key} is required");

    public long Long(string key) => long.Parse(Str(key), CultureInfo.InvariantCulture);
}
