"""What the lecture library (`make_lectures.py`) says: sixteen subjects of eight English sentences each.

A subject's sentences share its vocabulary and meaning, and each says something different, as a
speaker's sentences on one topic do. The first eight subjects are spoken only in the tuning split's
videos, the last eight only in the report split's, so no sentence is in both.
"""

from __future__ import annotations

SUBJECTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "bread": (
        "Baking Bread",
        (
            "Good bread starts with strong flour, water, salt and a little yeast.",
            "Knead the dough for ten minutes until it feels smooth and stretchy.",
            "The yeast feeds on the flour and fills the dough with tiny bubbles of gas.",
            "Let the dough rise in a warm kitchen until it has doubled in size.",
            "Shape the loaf gently so you keep the air that the yeast has made.",
            "Bake the bread in a very hot oven so the crust turns deep brown.",
            "A loaf is done when it sounds hollow as you tap the bottom.",
            "Leave fresh bread to cool on a rack before you slice it.",
        ),
    ),
    "astronomy": (
        "The Night Sky",
        (
            "On a clear night far from city lights you can see thousands of stars.",
            "The planets wander slowly across the sky against the fixed stars.",
            "Jupiter is the largest planet and its four big moons show in binoculars.",
            "A telescope gathers light with a lens or a curved mirror.",
            "The light from distant galaxies left them millions of years ago.",
            "Our Milky Way is a spiral galaxy with hundreds of billions of stars.",
            "Astronomers measure the distance to nearby stars by their tiny shift in the sky.",
            "A meteor shower happens when the Earth crosses the dust left by a comet.",
        ),
    ),
    "football": (
        "Football Tactics",
        (
            "A football team puts eleven players on the pitch, including the goalkeeper.",
            "The coach picks a formation such as four defenders, four midfielders and two strikers.",
            "Midfielders win the ball back and pass it forward to the attackers.",
            "A striker needs quick feet and calm nerves in front of the goal.",
            "Pressing high up the pitch forces the other team into mistakes.",
            "Wingers stretch the defence by running wide along the touchline.",
            "Set pieces like corners and free kicks decide many close matches.",
            "The referee shows a red card and the player must leave the match.",
        ),
    ),
    "banking": (
        "How Banks Work",
        (
            "A bank keeps your savings safe and pays you interest on the deposit.",
            "Banks lend most of the money deposited with them to other customers.",
            "The interest rate on a loan is higher than the rate paid on savings.",
            "A mortgage is a long loan that a family uses to buy a house.",
            "The central bank sets the base rate that other banks follow.",
            "If too many savers withdraw their money at once, a bank can fail.",
            "Deposit insurance protects ordinary savers when a bank goes bust.",
            "Your credit score tells a lender how likely you are to repay a loan.",
        ),
    ),
    "gardening": (
        "In the Garden",
        (
            "Most vegetables grow best in a sunny bed with rich, crumbly soil.",
            "Dig compost into the soil in spring before you sow any seeds.",
            "Sow carrot seeds thinly in shallow rows and cover them with fine soil.",
            "Water the seedlings in the evening so the leaves do not scorch.",
            "Pull out weeds while they are small, before they steal the light.",
            "Tomato plants need a tall cane and regular feeding through the summer.",
            "Slugs eat young lettuce leaves at night, so protect the plants.",
            "Harvest beans often and the plants will keep producing new pods.",
        ),
    ),
    "trains": (
        "Railways",
        (
            "The first steam locomotives pulled coal wagons out of the mines.",
            "A steam engine boils water in a boiler to push the pistons.",
            "Railway tracks are laid on sleepers and a bed of crushed stone.",
            "Signals and points keep trains apart on a busy railway line.",
            "Electric trains take their power from an overhead wire or a third rail.",
            "High speed trains in Japan and France run at over three hundred kilometres an hour.",
            "A freight train can haul thousands of tonnes of goods across a continent.",
            "Commuters crowd onto the platform when the morning train pulls into the station.",
        ),
    ),
    "volcanoes": (
        "Volcanoes",
        (
            "A volcano forms where molten rock from deep inside the Earth reaches the surface.",
            "Underground, the molten rock is called magma, and above ground it is lava.",
            "Some volcanoes erupt gently with rivers of glowing lava.",
            "Others explode violently and throw ash high into the atmosphere.",
            "Most volcanoes sit along the edges of the tectonic plates.",
            "The ring of fire around the Pacific Ocean holds hundreds of active volcanoes.",
            "Scientists watch for small earthquakes and swelling ground before an eruption.",
            "Volcanic ash makes the soil on the slopes very fertile for farming.",
        ),
    ),
    "bees": (
        "Honeybees",
        (
            "A honeybee colony lives in a hive with one queen and thousands of workers.",
            "The queen lays up to two thousand eggs a day in the wax comb.",
            "Worker bees collect nectar and pollen from flowers near the hive.",
            "Bees turn the nectar into honey and store it in wax cells.",
            "A returning bee dances to tell her sisters where the flowers are.",
            "Beekeepers wear a veil and use smoke to calm the bees.",
            "In spring a crowded colony may swarm and fly off with the old queen.",
            "Bees pollinate apples, almonds and many other crops as they feed.",
        ),
    ),
    "chess": (
        "Playing Chess",
        (
            "Chess is played on a board of sixty four squares by two players.",
            "Each player starts with sixteen pieces, including a king and a queen.",
            "The knight moves in an L shape and can jump over other pieces.",
            "Control of the centre squares gives your pieces room to move.",
            "Castling tucks the king into a corner behind a wall of pawns.",
            "A fork attacks two enemy pieces with a single move.",
            "The game ends in checkmate when the king is attacked and cannot escape.",
            "Grandmasters study opening moves and endgames for many years.",
        ),
    ),
    "photography": (
        "Photography",
        (
            "A camera records light that passes through the lens onto a sensor.",
            "The aperture is the opening in the lens that lets in more or less light.",
            "A fast shutter speed freezes a moving runner in the photograph.",
            "A slow shutter speed blurs flowing water into a soft mist.",
            "Raising the ISO makes the sensor more sensitive but adds grainy noise.",
            "The rule of thirds places the subject away from the centre of the frame.",
            "The warm light of the golden hour flatters faces and landscapes.",
            "A wide aperture blurs the background behind a portrait.",
        ),
    ),
    "coffee": (
        "Coffee",
        (
            "Coffee beans are the seeds of a red cherry that grows on shrubs in the tropics.",
            "Arabica beans taste sweeter and softer than the bitter robusta beans.",
            "Roasting turns the green beans brown and brings out their aroma.",
            "Grind the beans just before brewing so the coffee stays fresh.",
            "An espresso machine forces hot water through finely ground coffee under pressure.",
            "A filter brew drips slowly through a paper cone into the pot.",
            "Steamed milk poured over an espresso makes a latte or a cappuccino.",
            "Caffeine in the cup keeps many people awake in the morning.",
        ),
    ),
    "sailing": (
        "Sailing",
        (
            "A sailing boat is driven by the wind pushing on its sails.",
            "The sailor trims the sails with ropes called sheets.",
            "No boat can sail straight into the wind, so it tacks from side to side.",
            "The keel under the hull stops the boat from sliding sideways.",
            "The helmsman steers with a tiller or a wheel connected to the rudder.",
            "When the wind is strong, the crew reefs the mainsail to make it smaller.",
            "Sailors read the tide tables before they leave the harbour.",
            "A life jacket keeps every sailor afloat if they fall overboard.",
        ),
    ),
    "dinosaurs": (
        "Dinosaurs",
        (
            "Dinosaurs ruled the land for more than one hundred and sixty million years.",
            "Fossil bones turn to stone when they are buried in layers of mud.",
            "Tyrannosaurus was a huge meat eater with powerful jaws and tiny arms.",
            "The long necked sauropods ate leaves from the tops of the trees.",
            "Some dinosaurs had feathers, and birds are their living descendants.",
            "Palaeontologists dig up fossils carefully with brushes and small picks.",
            "An asteroid struck the Earth and most dinosaurs died out.",
            "Museums rebuild whole dinosaur skeletons from the fossil bones.",
        ),
    ),
    "weather": (
        "Weather and Rain",
        (
            "Weather forecasters study air pressure, wind and temperature.",
            "Warm moist air rises, cools and forms clouds of tiny water droplets.",
            "When the droplets grow heavy, they fall as rain.",
            "A cold front often brings a sudden shower and a drop in temperature.",
            "Thunderstorms build tall clouds with lightning and heavy rain.",
            "High pressure usually brings calm, dry and sunny weather.",
            "The barometer falls as a storm approaches.",
            "Weather satellites photograph the clouds from orbit every few minutes.",
        ),
    ),
    "knitting": (
        "Knitting",
        (
            "Knitting turns a single strand of yarn into fabric with two needles.",
            "Wool yarn is warm, while cotton yarn is cool and smooth.",
            "Cast on the stitches by looping the yarn over one needle.",
            "The knit stitch and the purl stitch are the two basic stitches.",
            "Rows of knit stitches make a bumpy pattern called garter stitch.",
            "A knitting pattern tells you how many stitches to cast on for each row.",
            "Cables are made by crossing stitches over each other on a spare needle.",
            "Cast off the last row so the stitches do not unravel.",
        ),
    ),
    "bicycles": (
        "Bicycle Repair",
        (
            "A bicycle needs little more than a pump, tyre levers and a set of keys.",
            "To fix a puncture, take the tyre off the rim with the levers.",
            "Find the hole in the inner tube by pumping it up and listening for air.",
            "Glue a patch over the hole and press it down firmly.",
            "Oil the chain every few weeks so the gears shift smoothly.",
            "Check the brake pads, and replace them when they wear thin.",
            "Adjust the saddle so your leg is almost straight at the bottom of each pedal stroke.",
            "Pump the tyres to the pressure printed on their side walls.",
        ),
    ),
}
"""Subject key: (slide title, sentences)."""
