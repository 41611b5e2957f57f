namespace Grove.Core.Fun;

/// <summary>The answer to /bamboo: a random panda fact. A fact may span several lines (the ASCII-art ones do).</summary>
public static class PandaFacts
{
    public static readonly IReadOnlyList<string> All =
    [
        "A giant panda spends 10 to 16 hours a day eating.",
        "Bamboo makes up about 99% of a giant panda's diet.",
        "An adult giant panda can eat 12 to 38 kg of bamboo a day.",
        "Giant pandas have a 'pseudo-thumb': an enlarged wrist bone that helps them grip bamboo.",
        "A newborn giant panda weighs about 100 to 200 grams, roughly 1/900 of its mother's weight.",
        "Giant pandas are born pink, blind and almost hairless.",
        "Wild giant pandas live in the mountain forests of Sichuan, Shaanxi and Gansu in China.",
        "A giant panda's digestive system is that of a carnivore, so it digests only a small part of the bamboo it eats.",
        "Giant pandas are good climbers and can swim.",
        "Giant pandas do not hibernate; in winter they move to lower, warmer places.",
        "Giant pandas communicate with bleats, honks, squeals and scent marks.",
        "A group of pandas is sometimes called an 'embarrassment'.",
        "In 2016 the IUCN moved the giant panda from 'endangered' to 'vulnerable'.",
        "The red panda is not a close relative of the giant panda: it has its own family, Ailuridae.",
        "Red pandas also have a false thumb, evolved separately from the giant panda's.",
        "Giant pandas in the wild live about 15 to 20 years; in care, up to about 30.",
        "A giant panda's black-and-white coat may help it hide in both snow and shade.",
        "Giant pandas mark trees by backing up to them, and sometimes do a handstand to mark higher.",
        "Pandas occasionally eat meat, eggs and small animals, but rarely.",
        "A giant panda cub stays with its mother for about 18 months to 2 years.",
        "The Chinese name for the giant panda, 大熊猫 (dàxióngmāo), means 'big bear cat'.",
        """
        Pandas sit upright to eat, like this:
              _,-./\.-,_
             ( (o)  (o) )
              \   ^^   /     munch
               '-.__.-'       munch
             /(   ||   )\
        """,
        """
        A panda on a branch, resting after lunch:
           (\_/)
          ( o.o )  zzz
          /|___|\
        ===========
        """,
        """
        Panda face, for your terminal:
           ()_()
           (o.o)
           (> <)  🐼 🎋
        """,
    ];

    public static string Pick(Random random) => All[random.Next(All.Count)].TrimEnd();

    /// <summary>A fact chosen by a number (the command's stamp), so that replaying a command picks the same one.</summary>
    public static string Pick(long seed) => All[(int)(((ulong)seed * 0x9E3779B97F4A7C15UL >> 33) % (ulong)All.Count)].TrimEnd();
}
