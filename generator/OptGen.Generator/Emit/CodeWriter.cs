using System;
using System.Text;

namespace OptGen.Generator.Emit;

/// <summary>Writes indented C# with "\n" line endings, so output is identical on every OS.</summary>
internal sealed class CodeWriter
{
    private readonly StringBuilder _text = new();
    private int _indent;

    public CodeWriter Line(string line = "")
    {
        if (line.Length > 0)
        {
            _text.Append(' ', _indent * 4).Append(line);
        }

        _text.Append('\n');
        return this;
    }

    /// <summary>Writes <c>{</c>, indents, and writes <c>}</c> (plus <paramref name="suffix"/>) when disposed.</summary>
    public Scope Block(string? header = null, string suffix = "")
    {
        if (header is not null)
        {
            Line(header);
        }

        Line("{");
        _indent++;
        return new Scope(this, suffix);
    }

    public override string ToString() => _text.ToString();

    internal readonly struct Scope : IDisposable
    {
        private readonly CodeWriter _writer;
        private readonly string _suffix;

        public Scope(CodeWriter writer, string suffix)
        {
            _writer = writer;
            _suffix = suffix;
        }

        public void Dispose()
        {
            _writer._indent--;
            _writer.Line("}" + _suffix);
        }
    }
}
